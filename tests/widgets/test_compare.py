"""Compare mode: the renderers on plain data, then the widget on two pairs of catalog checkpoints, each checked
against what the two sides' own classes give when loaded here independently of the widget."""

from __future__ import annotations

import html
import re
import weakref

import numpy as np
import pytest
import torch
from test_image_panel import png_bytes, upload

import explorer
from explorer.samples import PHOTO, SENTENCE
from explorer.widgets import i18n
from explorer.widgets.compare import CompareApp, compare
from explorer.widgets.render import compare as render
from explorer.widgets.render.tokens import TokenRow

LABELS = i18n.labels_for("en")
NAMES = ("left-id", "right-id")
TEXT_PAIR = ("bert-base-uncased", "distilbert-base-uncased")
IMAGE_PAIR = ("google/vit-base-patch16-224", "microsoft/swin-tiny-patch4-window7-224")


def token_row(tokens: list[str], ids: list[int], special: list[bool]) -> TokenRow:
    return TokenRow(sources=("text",), tokens=tokens, ids=ids, special=special, offsets=[], sequence_ids=[])


def image_side(settings: dict, shape=(1, 3, 4, 4)) -> render.ImageSide:
    pixels = np.zeros(shape[1:], dtype=np.float32)
    return render.ImageSide("SomeImageProcessor", pixels, list(shape), "torch.float32", settings)


# the renderers, on plain data


def test_differing_fields_lists_only_the_fields_that_differ_with_both_values():
    left = {"a": 1, "b": 2, "c": None, "same": [1, 2]}
    right = {"same": [1, 2], "b": 3, "a": 1, "d": 4}
    rows = render.differing_fields(left, right)
    assert rows == [("b", 2, 3), ("c", None, render.ABSENT), ("d", render.ABSENT, 4)]  # None is not absent


def test_the_config_diff_counts_its_rows_and_marks_fields_a_side_lacks():
    view = render.config_diff({"hidden_size": 768, "model_type": "bert"}, {"dim": 768, "model_type": "distilbert"},
                              NAMES, LABELS)
    assert f"3 {LABELS['compare_fields_differ']}" in view
    assert re.findall(r"<tr><td><code>(\w+)</code>", view) == ["hidden_size", "model_type", "dim"]
    assert view.count(LABELS["compare_absent"]) == 2
    assert all(f"<th>{name}</th>" in view for name in NAMES)


def test_equal_configs_say_so_and_long_values_are_cut_with_the_whole_in_the_tooltip():
    assert render.config_diff({"a": 1}, {"a": 1}, NAMES, LABELS) == f'<div class="explorer-note">' \
                                                                     f'{LABELS["compare_same_config"]}</div>'
    labels = {str(index): f"label {index}" for index in range(20)}
    view = render.config_diff({"id2label": labels}, {"id2label": {}}, NAMES, LABELS)
    whole = html.escape(repr(labels), quote=True)
    assert f'title="{whole}"' in view and "&hellip;" in view


def test_the_class_table_marks_only_rows_whose_classes_differ():
    left = {"config": ("AutoConfig", "BertConfig", "loaded"),
            "image_processor": ("AutoImageProcessor", "folder a has no image processor settings.", "absent"),
            "model": ("AutoModelForMaskedLM", "BertForMaskedLM", "loaded")}
    right = {"config": ("AutoConfig", "BertConfig", "loaded"),
             "image_processor": ("AutoImageProcessor", "folder b has no image processor settings.", "absent"),
             "model": ("AutoModelForSequenceClassification", "BertForSequenceClassification", "loaded")}
    view = render.class_table(left, right, NAMES, LABELS)
    rows = re.findall(r"<tr>(.*?)</tr>", view)[1:]
    marked = ["explorer-compare-differs" in row for row in rows]
    assert marked == [False, False, True]  # two absent components with different reasons are alike
    assert 'title="folder a has no image processor settings."' in rows[1]
    assert "AutoModelForMaskedLM / AutoModelForSequenceClassification" in rows[2]
    assert "<code>AutoModelForMaskedLM</code> &rarr; <b>BertForMaskedLM</b>" in rows[2]


def test_the_token_pair_shows_both_chip_rows_their_counts_and_whether_the_ids_agree():
    left = render.TokenSide("LeftTokenizer", token_row(["[CLS]", "hi", "[SEP]"], [101, 7632, 102], [True, False, True]))
    right = render.TokenSide("RightTokenizer", token_row(["<s>", "hi", "</s>"], [0, 20760, 2], [True, False, True]))
    view = render.token_pair(left, right, NAMES, LABELS)
    assert view.count('class="explorer-token-chip') == 6
    assert view.count(f"3 {LABELS['tokens_count']} · 2 {LABELS['special_tokens']}") == 2
    assert LABELS["compare_other_ids"] in view
    assert LABELS["compare_same_ids"] in render.token_pair(left, left, NAMES, LABELS)
    alone = render.token_pair(left, None, NAMES, LABELS)
    assert LABELS["compare_no_tokenizer"] in alone and LABELS["compare_same_ids"] not in alone


def test_the_image_pair_shows_both_pictures_and_only_the_settings_that_differ():
    left = image_side({"do_normalize": True, "image_mean": [0.5] * 3, "image_std": [0.5] * 3, "size": 4})
    right = image_side({"do_normalize": True, "image_mean": [0.4] * 3, "image_std": [0.5] * 3, "size": 8},
                       shape=(1, 3, 8, 8))
    view = render.image_pair(left, right, NAMES, LABELS)
    assert view.count('class="explorer-pixel-image"') == 2
    assert "[1, 3, 4, 4]" in view and "[1, 3, 8, 8]" in view
    assert re.findall(r"<tr><td><code>(\w+)</code>", view) == ["image_mean", "size"]
    assert LABELS["compare_same_settings"] in render.image_pair(left, left, NAMES, LABELS)


def test_the_shapes_table_lists_every_input_and_output_of_either_side():
    left = render.ModelSide("BertModel", 1234, {"input_ids": [1, 5], "token_type_ids": [1, 5]},
                            {"last_hidden_state": [1, 5, 8]})
    right = render.ModelSide("DistilBertModel", 99, {"input_ids": [1, 5]}, {"last_hidden_state": [1, 5, 8]})
    rows = re.findall(r"<tr>(.*?)</tr>", render.shapes_table(left, right, NAMES, LABELS))[1:]
    assert [re.sub(r"<[^>]+>", "", row.split("</td>")[0]) for row in rows] == [
        LABELS["compare_model_class"], LABELS["parameters"], f"{LABELS['input']} input_ids",
        f"{LABELS['input']} token_type_ids", f"{LABELS['output']} last_hidden_state"]
    assert "1,234" in rows[1] and LABELS["compare_absent"] in rows[3]
    assert ["explorer-compare-differs" in row for row in rows] == [True, True, False, True, False]


def test_what_failed_on_one_side_is_shown_in_its_column_and_the_other_side_still_is():
    right = render.TokenSide("RightTokenizer", token_row(["hi"], [1], [False]))
    view = render.token_pair("TokenizerInputError: boxes needed", right, NAMES, LABELS)
    left_column, right_column = side_columns(view)
    assert LABELS["compare_failed"] in left_column and "boxes needed" in left_column
    assert right_column.count('class="explorer-token-chip') == 1 and LABELS["compare_same_ids"] not in view
    pictures = render.image_pair(image_side({}), "MissingDependencyError: pytesseract", NAMES, LABELS)
    assert "pytesseract" in side_columns(pictures)[1] and LABELS["compare_settings_differ"] not in pictures
    table = render.shapes_table(render.ModelSide("BertModel", 5), "RuntimeError: no input", NAMES, LABELS)
    assert f"{NAMES[1]}: RuntimeError: no input" in table.split("</table>")[1]


def test_the_text_and_image_sections_appear_only_for_a_side_that_has_them():
    sides = ({"config": ("AutoConfig", "BertConfig", "loaded")},) * 2
    view = render.render_compare(NAMES, sides, ({}, {}), (None, None), (None, None), (None, None), LABELS)
    assert LABELS["compare_classes"] in view and LABELS["compare_shapes"] in view
    assert LABELS["compare_tokens"] not in view and LABELS["compare_images"] not in view


# the widget, on catalog checkpoints


def cell_text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell))


def config_rows(view: str) -> dict[str, tuple[str, str]]:
    box = re.search(r'<div class="explorer-compare-scroll">(.*?)</div>\s*</div>', view, re.S).group(1)
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td><td>(.*?)</td><td>(.*?)</td></tr>", box)
    return {name: (cell_text(left), cell_text(right)) for name, left, right in rows}


def shown_value(value: object) -> str:
    """How the diff shows a value: its repr (strings as they are)."""
    if value is render.ABSENT:
        return LABELS["compare_absent"]
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= render.LONG_VALUE else text[:render.LONG_VALUE] + "\u2026"


def side_columns(section: str) -> list[str]:
    """The two columns of a side-by-side section, left then right."""
    return re.split(r'<div class="explorer-compare-side">', section)[1:3]


def section_of(view: str, title: str) -> str:
    return view.split(f"<h4>{title}</h4>", 1)[1]


def chips_of(column: str) -> list[tuple[str, int]]:
    return [(html.unescape(token), int(token_id)) for token, token_id in
            re.findall(r'class="explorer-token-chip[^"]*"[^>]*>(.*?)<sub>(\d+)</sub>', column)]


def shape_rows(view: str) -> dict[str, tuple[str, str]]:
    table = section_of(view, LABELS["compare_shapes"])
    rows = re.findall(r"<tr><td>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", table)
    return {cell_text(title): (cell_text(left), cell_text(right)) for title, left, right in rows}


@pytest.fixture(scope="module")
def text_pair() -> CompareApp:
    return compare(*TEXT_PAIR)


@pytest.fixture(scope="module")
def image_pair() -> CompareApp:
    return compare(*IMAGE_PAIR)


@pytest.mark.parametrize("pair", ["text_pair", "image_pair"])
def test_the_config_diff_lists_exactly_the_fields_whose_values_differ(pair, request):
    app = request.getfixturevalue(pair)
    left, right = (explorer.AutoConfig.from_pretrained(reference).to_dict() for reference in app.names)
    absent = object()
    expected = {name for name in set(left) | set(right) if left.get(name, absent) != right.get(name, absent)}
    rows = config_rows(app.output.value)
    assert set(rows) == expected and len(rows) == len(expected) > 0
    assert f"{len(expected)} {LABELS['compare_fields_differ']}" in app.output.value
    for name, values in rows.items():
        assert values == (shown_value(left.get(name, render.ABSENT)), shown_value(right.get(name, render.ABSENT)))


def test_the_classes_are_what_each_auto_class_resolved_to(text_pair):
    view = section_of(text_pair.output.value, LABELS["compare_classes"])
    assert "<b>BertConfig</b>" in view and "<b>DistilBertConfig</b>" in view
    assert "<b>BertTokenizerFast</b>" in view and "<b>DistilBertTokenizerFast</b>" in view
    assert re.search(r"<code>AutoModelForMaskedLM</code></td><td[^>]*><b>BertForMaskedLM</b></td>"
                     r"<td[^>]*><b>DistilBertForMaskedLM</b>", view)


def test_the_tokenizations_are_each_tokenizer_s_own_output(text_pair):
    import transformers

    from explorer import catalog

    columns = side_columns(section_of(text_pair.output.value, LABELS["compare_tokens"]))
    for reference, column in zip(text_pair.names, columns):
        oracle = transformers.AutoTokenizer.from_pretrained(catalog.find(reference).path())(SENTENCE)
        assert chips_of(column) == list(zip(oracle.tokens(), oracle["input_ids"]))
        assert f"{len(oracle['input_ids'])} {LABELS['tokens_count']}" in column


def test_a_new_text_is_tokenized_by_both_sides(text_pair):
    text_pair.text.value = "Tokenizers split unbelievable words."
    try:
        columns = side_columns(section_of(text_pair.output.value, LABELS["compare_tokens"]))
        for reference, column in zip(text_pair.names, columns):
            tokenizer = explorer.AutoTokenizer.from_pretrained(reference)
            encoding = tokenizer(text_pair.text.value)
            assert chips_of(column) == list(zip(encoding.tokens(), encoding["input_ids"]))
    finally:
        text_pair.text.value = SENTENCE


def test_the_shapes_and_parameters_are_the_models_own(text_pair):
    rows = shape_rows(text_pair.output.value)
    for index, reference in enumerate(text_pair.names):
        model = explorer.AutoModelForMaskedLM.from_pretrained(reference).eval()
        inputs = explorer.AutoTokenizer.from_pretrained(reference)(SENTENCE, return_tensors="pt")
        with torch.no_grad():
            logits = model(**inputs).logits
        assert rows[f"{LABELS['output']} logits"][index] == str(list(logits.shape))
        assert rows[LABELS["parameters"]][index] == f"{model.num_parameters():,}"
        assert rows[f"{LABELS['input']} input_ids"][index] == str(list(inputs["input_ids"].shape))
        assert rows[LABELS["compare_model_class"]][index] == type(model).__name__
    assert rows[f"{LABELS['input']} token_type_ids"][1] == LABELS["compare_absent"]  # DistilBERT takes none


def test_the_image_pair_shows_each_processor_s_pixel_values_and_differing_settings(image_pair):
    from PIL import Image

    view = image_pair.output.value
    columns = side_columns(section_of(view, LABELS["compare_images"]))
    processors = [explorer.AutoImageProcessor.from_pretrained(reference) for reference in image_pair.names]
    for processor, column in zip(processors, columns):
        shape = list(processor(Image.open(PHOTO), return_tensors="pt")["pixel_values"].shape)
        assert f"<td>pixel_values.shape</td><td>{shape}</td>" in column
        assert column.count('class="explorer-pixel-image"') == 1
    left, right = (processor.to_dict() for processor in processors)
    expected = [name for name in left if left[name] != right.get(name)] + [name for name in right if name not in left]
    settings = section_of(view, LABELS["compare_settings_differ"])
    assert re.findall(r"<tr><td><code>(\w+)</code>", settings) == expected
    assert LABELS["compare_tokens"] not in view
    assert image_pair.text.layout.display == "none" and image_pair.image_row.layout.display is None
    model_rows = shape_rows(view)
    assert model_rows[f"{LABELS['output']} logits"] == ("[1, 1000]", "[1, 1000]")


def test_an_upload_is_preprocessed_by_both_sides(image_pair):
    upload(image_pair.upload, "red.png", png_bytes((255, 0, 0)))
    try:
        assert "red.png" in image_pair.source.value
        assert all(side.session.processed.source[0] == "red.png" for side in image_pair.sides)
    finally:
        image_pair.use_sample()
    assert all(side.session.processed.source[0] == PHOTO.name for side in image_pair.sides)


def test_a_side_that_fails_shows_its_message_and_a_reload_releases_its_model(checkpoints):
    app = CompareApp(str(checkpoints["sentiment"]), "explorer-catalog/no-such-checkpoint")
    assert "explorer-error" in app.sides[1].message.value and "no-such-checkpoint" in app.sides[1].message.value
    assert LABELS["compare_waiting"] in app.output.value
    first = weakref.ref(app.sides[0].session.get("model"))
    app.sides[1].load(str(checkpoints["mlm"]))
    assert app.sides[1].message.value == "" and LABELS["compare_classes"] in app.output.value
    app.sides[0].checkpoint.value = str(checkpoints["vit"])  # Enter in the left box
    assert first() is None  # one model per side: the replaced one is gone
    assert "<b>ViTForImageClassification</b>" in app.output.value and "<b>BertForMaskedLM</b>" in app.output.value


def test_a_side_whose_tokenizer_needs_word_boxes_shows_why_beside_the_other_side():
    """LayoutLMv2's tokenizer wants a box per word: it fails on its side only (its image processor's OCR, which
    needs pytesseract, fails or works on its own side too)."""
    app = compare("microsoft/layoutlmv2-base-uncased", "explorer-catalog/roberta-tiny")
    tokens = side_columns(section_of(app.output.value, LABELS["compare_tokens"]))
    assert "explorer-error" in tokens[0] and "TokenizerInputError" in tokens[0]
    assert "explorer-error" not in tokens[1] and "explorer-token-chip" in tokens[1]
    images = side_columns(section_of(app.output.value, LABELS["compare_images"]))
    assert ("explorer-error" in images[0]) != ("explorer-pixel-image" in images[0])
    assert LABELS["compare_no_image_processor"] in images[1]
    assert LABELS["compare_config"] in app.output.value


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_the_labels_follow_the_language(lang, checkpoints):
    app = CompareApp(str(checkpoints["sentiment"]), str(checkpoints["mlm"]), lang=lang)
    table = i18n.TABLES[lang]
    assert table["compare_classes"] in app.output.value and table["compare_config"] in app.output.value
    assert app.sides[0].checkpoint.description == table["compare_left"]
    assert LABELS["compare_classes"] not in app.output.value


def test_each_model_runs_on_the_inputs_it_takes(checkpoints):
    """A speech model gets the sample clip's input_values (not the text its tokenizer could encode); a text
    classifier beside it gets the text."""
    import soundfile

    from explorer.samples import CLIP

    app = CompareApp(str(checkpoints["wav2vec2"]), str(checkpoints["sentiment"]))
    rows = shape_rows(app.output.value)
    extractor = explorer.AutoFeatureExtractor.from_pretrained(checkpoints["wav2vec2"])
    waveform, rate = soundfile.read(CLIP, dtype="float32")
    assert rate == extractor.sampling_rate
    speech = extractor(waveform, sampling_rate=rate, return_tensors="pt")
    text = explorer.AutoTokenizer.from_pretrained(checkpoints["sentiment"])(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        speech_logits = explorer.AutoModelForCTC.from_pretrained(checkpoints["wav2vec2"])(**speech).logits
        text_logits = explorer.AutoModelForSequenceClassification.from_pretrained(checkpoints["sentiment"])(
            **text).logits
    assert rows[f"{LABELS['input']} input_values"] == (str(list(speech["input_values"].shape)),
                                                       LABELS["compare_absent"])
    assert rows[f"{LABELS['input']} input_ids"] == (LABELS["compare_absent"], str(list(text["input_ids"].shape)))
    assert rows[f"{LABELS['output']} logits"] == (str(list(speech_logits.shape)), str(list(text_logits.shape)))
