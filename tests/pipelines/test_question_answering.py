"""question-answering (transformers 4's behaviour; transformers 5 has no such pipeline) against the QA head's
own start and end logits, computed here with transformers' model and tokenizer: the best span maximises
start + end logits among context tokens, start <= end < start + max_answer_len; its score is the product of
the start and end softmax over the context's tokens and the CLS token. Long contexts are cut into spans with
doc_stride, and the best answer over all spans wins."""

from __future__ import annotations

import itertools

import pytest
import torch
import transformers

import explorer
from explorer import errors

CONTEXT = ("The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named "
           "after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889.")
QUESTIONS = ["Who designed the tower?", "Where is the Eiffel Tower?", "When was it built?"]


@pytest.fixture(scope="module", params=["BertForQuestionAnswering", "DistilBertForQuestionAnswering"])
def setup(request, tiny):
    folder = str(tiny(request.param))
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(folder).eval()
    return explorer.pipeline("question-answering", model=folder), model, transformers.AutoTokenizer.from_pretrained(
        folder)


def expected_answers(model, tokenizer, question, context, top_k=1, max_answer_len=15, max_seq_len=384,
                     doc_stride=128, handle_impossible_answer=False):
    """The answers as the QA head's logits give them, span by span of the context."""
    encoded = tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True)
    answers, null = [], None
    for index in range(len(encoded["input_ids"])):
        inputs = {name: torch.tensor([encoded[name][index]]) for name in tokenizer.model_input_names}
        with torch.no_grad():
            output = model(**inputs)
        starts, ends = output.start_logits[0], output.end_logits[0]
        context_tokens = [i for i, sequence in enumerate(encoded.sequence_ids(index)) if sequence == 1]
        allowed = [0, *context_tokens]  # the CLS token takes part in the softmax
        start_probability = torch.softmax(starts[allowed], dim=0)
        end_probability = torch.softmax(ends[allowed], dim=0)
        spans = [(s, e) for s, e in itertools.product(context_tokens, context_tokens) if s <= e < s + max_answer_len]
        spans.sort(key=lambda span: float(starts[span[0]] + ends[span[1]]), reverse=True)
        probability = dict(zip(allowed, zip(start_probability.tolist(), end_probability.tolist())))
        null = min(null if null is not None else 1e6, probability[0][0] * probability[0][1])
        encoding = encoded.encodings[index]
        for s, e in spans[:top_k]:
            first = encoding.word_to_chars(encoding.token_to_word(s), 1)[0]
            last = encoding.word_to_chars(encoding.token_to_word(e), 1)[1]
            answers.append({"score": probability[s][0] * probability[e][1], "start": first, "end": last,
                            "answer": context[first:last]})
    if handle_impossible_answer:
        answers.append({"score": null, "start": 0, "end": 0, "answer": ""})
    answers.sort(key=lambda answer: answer["score"], reverse=True)
    return answers[:top_k]


def assert_answers(ours, expected):
    ours = ours if isinstance(ours, list) else [ours]
    assert [(a["start"], a["end"], a["answer"]) for a in ours] == [(a["start"], a["end"], a["answer"])
                                                                     for a in expected]
    assert [a["score"] for a in ours] == pytest.approx([a["score"] for a in expected], abs=1e-5)


@pytest.mark.parametrize("options", [{}, {"top_k": 3}, {"max_answer_len": 2}, {"top_k": 4, "max_answer_len": 3},
                                     {"handle_impossible_answer": True, "top_k": 2}],
                         ids=["best", "top3", "short", "top4-short", "impossible"])
def test_answers_follow_the_heads_logits(setup, options):
    pipe, model, tokenizer = setup
    for question in QUESTIONS:
        expected = expected_answers(model, tokenizer, question, CONTEXT, **options)
        assert_answers(pipe(question=question, context=CONTEXT, **options), expected)


@pytest.mark.parametrize("options", [{"max_seq_len": 32, "doc_stride": 8}, {"max_seq_len": 24, "doc_stride": 12,
                                                                            "top_k": 3}])
def test_a_long_context_is_read_in_overlapping_spans(setup, options):
    pipe, model, tokenizer = setup
    expected = expected_answers(model, tokenizer, QUESTIONS[0], CONTEXT, **options)
    assert_answers(pipe(question=QUESTIONS[0], context=CONTEXT, **options), expected)
    assert len(pipe.steps.items[0].chunks) > 2  # the context did not fit one span
    assert all(len(chunk.tokens) <= options["max_seq_len"] for chunk in pipe.steps.items[0].chunks)


def test_every_way_of_calling_gives_the_same_answers(setup):
    pipe, model, tokenizer = setup
    expected = [expected_answers(model, tokenizer, question, CONTEXT)[0] for question in QUESTIONS]
    examples = [{"question": question, "context": CONTEXT} for question in QUESTIONS]
    for answers in (pipe(question=QUESTIONS, context=CONTEXT), pipe(question=QUESTIONS, context=[CONTEXT] * 3),
                    pipe(examples), pipe(examples, batch_size=2), list(pipe(example for example in examples)),
                    pipe(examples, batch_size=3)):
        assert len(answers) == 3
        for ours, theirs in zip(answers, expected):
            assert_answers(ours, [theirs])
    assert_answers(pipe(QUESTIONS[0], CONTEXT), expected[:1])
    assert_answers(pipe(examples[:1]), expected[:1])  # a list of one gives one answer, as in transformers 4


def test_batched_spans_give_the_unbatched_answers(setup):
    pipe, _, _ = setup
    alone = pipe(question=QUESTIONS[0], context=CONTEXT, max_seq_len=32, doc_stride=8, top_k=3)
    batched = pipe(question=QUESTIONS[0], context=CONTEXT, max_seq_len=32, doc_stride=8, top_k=3, batch_size=4)
    assert [(a["start"], a["end"]) for a in batched] == [(a["start"], a["end"]) for a in alone]
    assert [a["score"] for a in batched] == pytest.approx([a["score"] for a in alone], abs=1e-5)


def test_steps_show_the_span_search(setup):
    pipe, _, _ = setup
    answer = pipe(question=QUESTIONS[1], context=CONTEXT)
    item = pipe.steps.items[0]
    assert [step.name for step in item.postprocessing] == ["span search, span 0", "top_k"]
    found = item.postprocessing[0].value[0]
    logits = item.chunks[0].model_outputs
    tokens = item.chunks[0].tokens
    assert tokens[found["start_token"]] != "[SEP]" and found["start_token"] <= found["end_token"]
    assert len(logits["start_logits"][0]) == len(tokens) and item.chunks[0].model_inputs["p_mask"][0][0] == 0
    assert item.output == answer and found["answer"] == answer["answer"]


@pytest.mark.parametrize("call, argument", [
    (lambda pipe: pipe(question="", context=CONTEXT), "question: the text is empty"),
    (lambda pipe: pipe(question="Who?", context=" "), "context: the text is empty"),
    (lambda pipe: pipe(question=3, context=CONTEXT), "question: expected a string"),
    (lambda pipe: pipe(context=CONTEXT), "question, context: pass both"),
    (lambda pipe: pipe(question=["a", "b"], context=["c"]), "question, context: 2 questions and 1 contexts"),
    (lambda pipe: pipe([{"question": "a"}, {"context": "b"}]), "inputs: each example is a dict"),
    (lambda pipe: pipe(question="a", context=CONTEXT, top_k=0), "top_k=0"),
    (lambda pipe: pipe(question="a", context=CONTEXT, max_seq_len=16, doc_stride=20), "doc_stride=20"),
])
def test_bad_inputs_name_the_argument(setup, call, argument):
    pipe, _, _ = setup
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}"):
        call(pipe)
