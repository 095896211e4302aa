"""The pure renderers: plain data and API objects in, HTML out; checked without widgets or a browser."""

from __future__ import annotations

import base64
import io
import re
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import AutoTokenizer
from explorer.pipelines.base import CallSteps, ChunkSteps, ItemSteps, Step
from explorer.samples import PHOTO
from explorer.widgets.i18n import EN
from explorer.widgets.render import (audio, charts, colors, diagram, generation, html, images, outputs, resolution,
                                     tokens)
from explorer.widgets.text import encoding_rows


def titles_in(html: str) -> list[str]:
    return re.findall(r"<h4>(.*?)</h4>", html)


def images_in(html: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in re.findall(r"base64,([A-Za-z0-9+/=]+)", html)]


@pytest.fixture(scope="module")
def tokenizer(minilm_path):
    return AutoTokenizer.from_pretrained(minilm_path)


def rows_for(tokenizer, texts, pairs=None, **options):
    encoding = tokenizer(texts, pairs, return_offsets_mapping=True, return_special_tokens_mask=True, **options)
    sources = [(t,) if pairs is None else (t, p) for t, p in zip(texts, pairs or texts)]
    return encoding_rows(encoding, sources, tokenizer)


def test_token_chips_carry_ids_and_mark_special_tokens(tokenizer):
    [row] = rows_for(tokenizer, ["a hobbit"])
    html = tokens.chips(row, EN)
    assert row.tokens == ["[CLS]", "a", "ho", "##bb", "##it", "[SEP]"]
    assert html.count('class="explorer-token-chip') == 6
    assert html.count('class="explorer-token-chip special"') == 2
    assert f"##bb<sub>{tokenizer.convert_tokens_to_ids('##bb')}</sub>" in html


def test_added_tokens_have_their_own_chips_and_legend(minilm_path):
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)  # not the shared one: this test adds to it
    tokenizer.add_tokens(["hobbitses"])
    tokenizer.add_tokens(["<tool>"], special_tokens=True)  # added, but special: not marked as added
    [row] = rows_for(tokenizer, ["a hobbitses <tool>"])
    assert row.tokens == ["[CLS]", "a", "hobbitses", "<tool>", "[SEP]"] and row.added == [False, False, True, False,
                                                                                         False]
    chips = tokens.chips(row, EN)
    assert chips.count("explorer-token-chip added") == 1
    assert f"{EN['token']} 2 · id 30522 · 2:11 · {EN['added_token']}" in chips
    view = tokens.render_text("BertTokenizerFast", 30522, 512, [row], EN, length=len(tokenizer))
    assert "vocab 30,522 · len(tokenizer) 30,524 · model_max_length 512" in view
    assert view.count("explorer-legend") == 1 and html.esc(EN["added_token_legend"]) in view
    assert f"1 {EN['added_tokens']}" in view


def test_without_added_tokens_there_is_no_legend(tokenizer):
    rows = rows_for(tokenizer, ["a hobbit"])
    view = tokens.render_text("BertTokenizerFast", 30522, 512, rows, EN, length=len(tokenizer))
    assert "explorer-legend" not in view and " added" not in view and "len(tokenizer)" not in view


def test_the_source_is_highlighted_by_offsets_in_the_chips_colours(tokenizer):
    [row] = rows_for(tokenizer, ["a hobbit"])
    html = tokens.highlighted_source(row, 0)
    assert f'<span style="background:{colors.token_colour(2)}" title="ho">ho</span>' in html
    assert f'<span style="background:{colors.token_colour(3)}" title="##bb">bb</span>' in html
    assert "<s " not in html  # nothing truncated


def test_truncated_text_is_struck_through(tokenizer):
    [row] = rows_for(tokenizer, ["one two three four five"], truncation=True, max_length=4)
    assert row.tokens == ["[CLS]", "one", "two", "[SEP]"]
    assert re.search(r'<s title="not encoded"> three four five</s>', tokens.highlighted_source(row, 0))


def test_a_padded_batch_of_pairs_shows_every_row(tokenizer):
    rows = rows_for(tokenizer, ["a b", "c"], ["d", "e f g"], padding="max_length", max_length=10)
    html = tokens.render_rows(rows, EN)
    assert [len(row.tokens) for row in rows] == [10, 10]
    assert rows[1].rows["token_type_ids"] == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert rows[1].rows["attention_mask"] == [1] * 7 + [0] * 3
    assert f"{EN['sequence']} 1" in html and "token_type_ids" in html
    assert rows[0].decoded == "[CLS] a b [SEP] d [SEP] [PAD] [PAD] [PAD] [PAD]"
    assert rows[0].decoded_plain == "a b d"


def test_denormalised_pixel_values_give_back_the_resized_photo():
    from explorer import ViTImageProcessor

    vit = ViTImageProcessor(size={"height": 64, "width": 64}, resample=0)
    photo = Image.open(PHOTO).convert("RGB")
    pixel_values = vit(photo, return_tensors="np")["pixel_values"][0]
    expected = np.asarray(photo.resize((64, 64), Image.Resampling.NEAREST))
    restored = np.asarray(images.denormalise(pixel_values, vit.to_dict()))
    assert restored.shape == (64, 64, 3)
    assert np.abs(restored.astype(int) - expected.astype(int)).max() <= 1
    stats = images.channel_stats(pixel_values)
    assert [channel for channel, _, _ in stats] == [0, 1, 2]
    assert stats[0][1] == pytest.approx(float(pixel_values[0].mean()), rel=1e-6)


def test_the_image_view_shows_both_pictures_shapes_and_settings():
    from explorer import ViTImageProcessor

    vit = ViTImageProcessor(size={"height": 32, "width": 32})
    photo = Image.open(PHOTO)
    pixel_values = vit(photo, return_tensors="pt")["pixel_values"]
    html = images.render_image("ViTImageProcessor", photo, pixel_values[0].numpy(), str(pixel_values.dtype),
                               tuple(pixel_values.shape), vit.to_dict(), EN)
    assert html.count('class="explorer-pixel-image"') == 1
    assert "[1, 3, 32, 32]" in html and "torch.float32" in html and "image_mean" in html
    original, processed = images_in(html)
    assert processed.size == (32, 32) and original.width == images.THUMBNAIL


def test_the_waveform_is_one_polygon_within_the_box():
    html = audio.waveform_svg(np.sin(np.linspace(0, 20, 5000)), width=100, height=40)
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', html).group(1).split()]
    assert len(points) == 200
    assert all(0 <= x <= 100 and 0 <= y <= 40 for x, y in points)


def test_a_log_mel_spectrogram_is_a_picture_and_input_values_a_waveform():
    html = audio.render_audio("Wav2Vec2FeatureExtractor", np.zeros(1600, np.float32) + 0.1, 16000,
                              {"input_features": np.random.default_rng(0).normal(size=(80, 30)),
                               "input_values": np.ones(1600)}, {"sampling_rate": 16000}, EN)
    [spectrogram] = images_in(html)
    assert spectrogram.size == (60, 2 * audio.HEIGHT)
    assert html.count("<svg") == 2 and EN["log_mel"] in html and "0.10 s" in html


def test_bars_are_as_wide_as_their_probabilities():
    html = charts.bar_chart([("POSITIVE", 0.75), ("NEGATIVE", 0.25)])
    assert re.findall(r"width:([\d.]+)%", html) == ["75.0", "25.0"]


def test_bars_grow_with_the_apps_type_and_their_track_follows_the_theme():
    html = charts.bar_chart([("POSITIVE", 0.75)])
    assert "px" not in html  # in em: presenter mode enlarges them
    assert html.count("background:var(--jp-layout-color2,#eee)") == 1 and "background:#eee" not in html


@pytest.mark.parametrize("module", [charts, generation, audio])
def test_no_renderer_paints_a_fixed_light_background_behind_theme_coloured_text(module):
    assert not re.findall(r"background:#(?:eee|f8f9fa)", Path(module.__file__).read_text())


def test_a_heatmap_has_one_square_per_cell_in_viridis():
    matrix = np.array([[0.0, 1.0], [0.5, 0.25]])
    [picture] = images_in(charts.heatmap(matrix))
    cell = charts.HEATMAP_SIZE // 2
    assert picture.size == (2 * cell, 2 * cell)
    assert picture.convert("RGB").getpixel((0, 0)) == tuple(colors.VIRIDIS[0])
    assert picture.convert("RGB").getpixel((cell, 0)) == tuple(colors.VIRIDIS[255])


def test_the_feature_grid_shows_the_first_channels_with_the_shape():
    html = charts.feature_grid({"stage2": np.random.default_rng(0).normal(size=(20, 4, 4))}, EN)
    assert 'class="explorer-feature-grid"' in html and "stage2: [20, 4, 4]" in html
    assert len(images_in(html)) == 16


def test_the_resolution_view_lists_decisions_files_fields_and_the_report(minilm_path):
    from explorer import AutoModel
    from explorer.resolution import open_checkpoint
    from explorer.widgets.session import parameter_counts

    checkpoint = open_checkpoint(minilm_path)
    model = AutoModel.from_pretrained(checkpoint)
    html = resolution.render_resolution(checkpoint.trace.to_dict(), [("AutoModel", "BertModel", "loaded"),
                                                                      ("AutoImageProcessor", "no file", "absent")],
                                        model.config.to_dict(), parameter_counts(model),
                                        [model.load_report.to_dict()], EN)
    assert "<td>model_type</td><td>&#x27;bert&#x27;</td><td>BertModel</td>" in html
    assert "model.safetensors" in html and "config.json" in html
    assert "<td>num_hidden_layers</td><td>6</td>" in html
    assert f"<td>BertModel</td><td>{model.num_parameters():,}</td>" in html
    assert f"{EN['absent']}: no file" in html and EN["load_clean"] in html


TRACE = {"reference": "org/convnext", "location": "/models/convnext", "revision": None,
         "files": [{"name": name, "size": size, "path": f"/models/convnext/{name}", "source": "cache"}
                   for name, size in (("config.json", 916), ("preprocessor_config.json", 337),
                                      ("model.safetensors", 848376))],
         "decisions": [
             {"stage": "AutoConfig", "file": "config.json", "key": "model_type", "value": "convnext",
              "result": "ConvNextConfig", "note": ""},
             {"stage": "AutoModelForImageClassification", "file": "config.json", "key": "model_type",
              "value": "convnext", "result": "ConvNextForImageClassification", "note": ""},
             {"stage": "AutoModelForImageClassification", "file": "config.json", "key": "architectures[0]",
              "value": "ConvNextForImageClassification", "result": "ConvNextForImageClassification", "note": ""},
             {"stage": "ConvNextForImageClassification", "file": "model.safetensors", "key": "", "value": None,
              "result": "52 tensors", "note": ""}]}
COMPONENTS = [("AutoConfig", "ConvNextConfig", "loaded"),
              ("AutoModelForImageClassification", "ConvNextForImageClassification", "loaded"),
              ("AutoTokenizer", "The folder has none of the tokenizer files", "absent")]


def test_the_diagram_has_one_lane_per_auto_class_with_files_sizes_key_and_class():
    svg = diagram.resolution_diagram(TRACE, COMPONENTS, EN)
    assert svg.startswith('<svg class="explorer-diagram"') and svg.endswith("</svg>")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts[:5] == [EN["reference"], EN["auto_class"], EN["files_read"], EN["key"], EN["resolved_to"]]
    assert texts[5:7] == ["org/convnext", "/models/convnext"]
    # the model's lane: the file its key was read from and the weights its class read, the last key that decided
    model_lane = texts[texts.index("AutoModelForImage"):]  # its class on two lines
    assert model_lane[:5] == ["AutoModelForImage", "Classification", "config.json · 916 B",
                              "model.safetensors · 828.5 KB", "architectures[0]"]
    assert model_lane[5:7] == ["&#x27;ConvNextForImageClassificati…", "ConvNextForImageClassification"]
    assert texts[-2:] == [EN["absent"], "The folder has none of the tokenizer files"]
    assert svg.count('class="chosen"') == 3 and svg.count('class="absent"') == 1  # the reference and two classes
    assert f'height="{diagram.TOP + 3 * diagram.LANE}"' in svg


def test_long_text_in_the_diagram_is_cut_with_an_ellipsis_and_kept_whole_in_the_tooltip():
    long = "A" * 200
    svg = diagram.resolution_diagram(TRACE, [("AutoConfig", long, "error")], EN)
    assert f"<title>{long}</title>" in svg
    shown = re.findall(r"<text[^>]*>(A+…)</text>", svg)
    assert len(shown) == 1 and len(shown[0]) < 150


BOX_RE = re.compile(r'<rect[^>]*width="([\d.]+)" height="([\d.]+)"[^>]*>(.*?)</g>', re.S)
TEXT_RE = re.compile(r'<text[^>]*font-size="([\d.]+)"[^>]*>([^<]*)</text>')


def boxes(svg: str) -> list[tuple[float, float, list[tuple[float, str]]]]:
    """(width, height, [(font size, text)]) of each box of a diagram."""
    return [(float(width), float(height), [(float(size), unescape(text)) for size, text in TEXT_RE.findall(body)])
            for width, height, body in BOX_RE.findall(svg)]


def svg_height(svg: str) -> float:
    return float(re.search(r'height="([\d.]+)"', svg).group(1))


@pytest.mark.parametrize("scale", [1.0, html.PRESENTER_SCALE])
def test_the_diagrams_text_fits_its_boxes_at_any_scale(scale):
    components = COMPONENTS + [("AutoModelForSequenceClassification", "DistilBertForSequenceClassification", "loaded")]
    drawn = boxes(diagram.resolution_diagram(TRACE, components, EN, scale))
    assert len(drawn) == 1 + 2 * 4 + 2 + 4
    for width, height, lines in drawn:
        assert height == round(diagram.BOX * scale) and 1 <= len(lines) <= 2
        assert lines[0][0] == pytest.approx(12 * scale, abs=0.01)  # the name: the type's size
        for size, text in lines:
            assert len(text) * diagram.CHAR * size / 12 <= width - 12, (text, width)


def test_presenter_scale_enlarges_the_diagrams_type_and_lanes():
    normal, presenter = (diagram.resolution_diagram(TRACE, COMPONENTS, EN, scale)
                         for scale in (1.0, html.PRESENTER_SCALE))
    assert html.PRESENTER_SCALE >= 1.3
    assert 'font-size="12"' in normal and 'font-size="12"' not in presenter and 'font-size="16.62"' in presenter
    assert svg_height(presenter) == round(svg_height(normal) * html.PRESENTER_SCALE)


def test_a_class_name_too_long_for_its_box_goes_on_two_lines_split_at_a_capital():
    svg = diagram.resolution_diagram(TRACE, [("AutoModelForSequenceClassification", "X", "loaded")], EN,
                                     html.PRESENTER_SCALE)
    lane = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    auto = lane.index("AutoModelForSequence")
    assert lane[auto:auto + 2] == ["AutoModelForSequence", "Classification"]
    assert diagram.wrap("AutoConfig", 200, 12) == ["AutoConfig"]


@pytest.mark.parametrize(("scale", "names"), [
    (1.0, ["sentence-transformers/", "all-MiniLM-L6-v2"]),
    (html.PRESENTER_SCALE, ["sentence-", "transformers/", "all-MiniLM-L6-v2"]),
])
def test_a_long_reference_is_broken_after_slashes_and_hyphens_in_a_taller_box_centred_on_the_lanes(scale, names):
    trace = {**TRACE, "reference": "sentence-transformers/all-MiniLM-L6-v2"}
    svg = diagram.resolution_diagram(trace, COMPONENTS, EN, scale)
    width, height, lines = boxes(svg)[0]
    assert [text for _, text in lines][:-1] == names
    assert height == round((diagram.BOX + 14 * (len(names) - 1)) * scale)
    for size, text in lines:
        assert len(text) * diagram.BOLD_CHAR * size / 12 <= width - 12, (text, width)
    top = float(re.search(r'<rect class="chosen" x="4" y="([\d.]+)"', svg).group(1))
    assert top + height / 2 == pytest.approx(diagram.TOP * scale + (svg_height(svg) - diagram.TOP * scale) / 2, abs=1)
    short = boxes(diagram.resolution_diagram(TRACE, COMPONENTS, EN, scale))[0]
    assert [text for _, text in short[2]][0] == "org/convnext" and short[1] == round(diagram.BOX * scale)
    assert diagram.reference_names("a-" * 60, scale)[-1].endswith("a-")  # at most three lines, the last cut
    assert len(diagram.reference_names("a-" * 60, scale)) == diagram.MAX_REFERENCE_LINES


def test_a_file_too_long_for_its_box_goes_on_two_lines_with_its_size_whole_and_prose_is_not_split():
    assert diagram.wrap("preprocessor_config.json \u00b7 337 B", 150, 12) == ["preprocessor_config.json", "337 B"]
    assert diagram.wrap("The folder has no image processor settings B", 150, 12) == [
        "The folder has no image processor settings B"]


def test_a_missing_parts_reason_names_files_in_the_checkpoint_not_this_machines_paths():
    reason = ("The folder '/models/convnext' has no tokenizer; /models/convnext/config.json names no "
              "tokenizer_class.")
    components = [("AutoTokenizer", reason, "absent")]
    svg = diagram.resolution_diagram(TRACE, components, EN)
    shown = "The folder &#x27;org/convnext&#x27; has no tokenizer; config.json names no tokenizer_class."
    assert f"<title>{shown}</title>" in svg and "&#x27;/models/convnext&#x27;" not in svg
    assert "/models/convnext/config.json" not in svg
    view = resolution.render_resolution(TRACE, components, None, [], [], EN)
    assert html.esc(reason) in view  # whole in the collapsed table of Auto classes


def test_a_clean_load_report_is_a_quiet_line_and_an_unusual_one_a_highlighted_table():
    report = {"model_class": "ConvNextBackbone", "files": ["model.safetensors"], "loaded": 50, "missing": [],
              "unexpected": [], "mismatched": [], "random_weights": ""}
    clean = resolution.load_report_html(report, EN)
    assert clean.startswith('<div class="explorer-note">') and EN["load_clean"] in clean and "<table" not in clean
    unusual = resolution.load_report_html(report | {"unexpected": ["classifier.weight"]}, EN)
    assert unusual.startswith('<div class="explorer-attention">') and EN["load_unusual"] in unusual
    assert f"<td>{EN['unexpected']}</td><td>classifier.weight</td>" in unusual


def test_messages_are_styled_lines_and_the_resolution_view_opens_them():
    messages = [{"level": "warning", "source": "huggingface_hub", "text": "slow <disk>"}]
    assert html.messages_html(messages) == ('<div class="explorer-messages"><div class="explorer-message warning">'
                                            "<b>huggingface_hub</b>: slow &lt;disk&gt;</div></div>")
    assert html.messages_html([]) == ""
    view = resolution.render_resolution(TRACE, COMPONENTS, None, [], [], EN, messages)
    assert f'<details class="explorer-details" open><summary>{EN["messages"]} (1)</summary>' in view
    assert f'<details class="explorer-details"><summary>{EN["decisions"]}</summary>' in view


def test_a_download_shows_its_size_of_the_total_and_speed():
    assert html.download_status(1536, 3 * 2**20, 2**20) == "<span>1.5 KB / 3.0 MB · 1.0 MB/s</span>"
    assert html.download_status(10, None, None) == "<span>10 B</span>"


def test_long_id2label_is_cut_in_the_main_fields():
    rows = dict(resolution.main_fields({"id2label": {i: f"c{i}" for i in range(1000)}, "model_type": "vit"}))
    assert "988 more" in rows["id2label"] and rows["model_type"] == "vit"


def test_a_pending_component_is_listed_with_its_label():
    table = resolution.components_table([("AutoBackbone", "built when its panel is shown", "pending")], EN)
    assert f"{EN['pending']}: built when its panel is shown" in table


@pytest.mark.parametrize("render, tag", [(html.panel_title, "h3"), (html.strong, "b")])
def test_titles_and_bold_text_are_escaped(render, tag):
    assert render("a <b> & c") == f"<{tag}>a &lt;b&gt; &amp; c</{tag}>"


def test_the_busy_indicator_is_an_hourglass_and_the_escaped_text():
    assert html.busy_indicator("Loading <x>") == "<span>&#8987; Loading &lt;x&gt;</span>"


def test_the_text_view_names_the_tokenizer_above_the_rows(tokenizer):
    rows = rows_for(tokenizer, ["a hobbit"])
    view = tokens.render_text("Bert<Fast>", 30522, 512, rows, EN)
    header = '<div class="explorer-note">Bert&lt;Fast&gt; · vocab 30,522 · model_max_length 512</div>'
    assert view == header + tokens.render_rows(rows, EN)


def test_the_image_and_audio_views_start_with_the_escaped_processor_name():
    pixel_values = np.zeros((3, 4, 4), np.float32)
    image = images.render_image("Vit<P>", Image.new("RGB", (8, 8)), pixel_values, "float32", (1, 3, 4, 4), {}, EN)
    sound = audio.render_audio("Wav<E>", np.zeros(160, np.float32), 16000, {}, {}, EN)
    assert image.startswith('<div class="explorer-note">Vit&lt;P&gt;</div><div style="display:flex')
    assert sound.startswith(f'<div class="explorer-note">Wav&lt;E&gt;</div><h4>{EN["waveform"]}</h4>')


def test_the_backbone_view_names_its_stages_above_the_grid():
    view = charts.render_backbone(["stage1", "stage<3>"], (1, 3), {"stage1": np.ones((2, 4, 4))}, EN)
    note, grid = view.split('<div class="explorer-feature-grid">')
    assert note == '<div class="explorer-note">out_features=[&#x27;stage1&#x27;, &#x27;stage&lt;3&gt;&#x27;] · ' \
                   'out_indices=[1, 3]</div>'
    assert "stage1: [2, 4, 4]" in grid and len(images_in(grid)) == 2


TEXT_RUN = outputs.RunFacts("AutoModelForSequenceClassification", "BertForSequenceClassification", "text")


def call(task, chunks, steps, output, given="a <b> c", **parameters):
    """A pipeline's record of one call, as plain data."""
    return CallSteps(task, 1, parameters, [ItemSteps(given, chunks, steps, output)])


TOKENS = ChunkSteps(["[CLS]", "a", "<b>", "[SEP]"], {"input_ids": [[101, 1037, 9999, 102]]},
                    {"logits": [[0.123456, -1.5]]})
SCORES = [Step("logits", "the <head>'s output", [0.123456, -1.5]), Step("softmax", "softmax over the logits",
                                                                         [0.75, 0.25]),
          Step("id2label", "names", [{"label": "POS <x>", "score": 0.75}, {"label": "NEG", "score": 0.25}])]


def test_the_steps_view_shows_inputs_raw_outputs_every_step_and_the_result_in_order():
    steps = call("text-classification", [TOKENS], SCORES, SCORES[-1].value, top_k=5)
    view = outputs.pipeline_steps(TEXT_RUN, steps, EN)
    assert view.startswith('<div class="explorer-note">AutoModelForSequenceClassification -&gt; '
                           "BertForSequenceClassification · input: text</div>"
                           '<div class="explorer-note">Pipeline: pipeline(&#x27;text-classification&#x27;) · '
                           "top_k=5</div>")
    assert titles_in(view) == ["1. Inputs", "2. Raw outputs of the model", "3. Postprocessing, step by step",
                               "4. Result"]
    assert '<div class="explorer-note">input: a &lt;b&gt; c</div><div class="explorer-note">[CLS] a &lt;b&gt; ' \
           "[SEP]</div>" in view
    assert "<tr><td>input_ids</td><td>[1, 4]</td><td>[[101, 1037, 9999, 102]]</td></tr>" in view
    assert "<tr><td>logits</td><td>[1, 2]</td><td>[[0.1235, -1.5]]</td></tr>" in view
    assert "<tr><td>3.1 logits</td><td>the &lt;head&gt;&#x27;s output</td><td>[0.1235, -1.5]</td></tr>" in view
    assert "<tr><td>3.3 id2label</td><td>names</td><td>[{label: POS &lt;x&gt;, score: 0.75}, " in view
    assert ">POS &lt;x&gt;</span>" in view and re.findall(r"width:([\d.]+)%", view) == ["75.0", "25.0"]


def test_a_call_without_parameters_says_so_and_an_image_has_no_text_input():
    chunk = ChunkSteps([], {"pixel_values": np.zeros((1, 3, 4, 4)).tolist()}, {"logits": [[1.0]]})
    view = outputs.pipeline_steps(TEXT_RUN, call("image-classification", [chunk], [], [], given=None), EN)
    assert "pipeline(&#x27;image-classification&#x27;) · default arguments" in view
    assert "input: " not in view.split("<h4>")[1]
    assert "<tr><td>pixel_values</td><td>[1, 3, 4, 4]</td><td>shape [1, 3, 4, 4], first row: [0, 0, 0, 0]</td>" \
           in view


def test_several_chunks_are_numbered():
    view = outputs.pipeline_steps(TEXT_RUN, call("question-answering", [TOKENS, TOKENS], [], {
        "score": 0.5, "start": 0, "end": 1, "answer": "a"}, given={"question": "q?", "context": "a <b> c"}), EN)
    assert view.count('<div class="explorer-note">chunk 0</div>') == 2  # inputs and raw outputs
    assert '<div class="explorer-note">question: q?</div><div class="explorer-note">context: a &lt;b&gt; c</div>' \
           in view


@pytest.mark.parametrize("value, text", [
    (0.123456, "0.1235"),
    (list(range(10)), "[0, 1, 2, 3, 4, 5, 6, 7, ... (2 more)]"),
    ([[1.0, 2.0], [3.0, 4.0]], "[[1, 2], [3, 4]]"),
    ([[[0.5] * 3] * 2] * 2, "shape [2, 2, 3], first row: [0.5, 0.5, 0.5]"),
    ([["a", "b"], ["c"]], "[[a, b], [c]]"),
    ({"text": "x", "chunks": []}, "{text: x, chunks: []}"),
    ("words", "words"),
])
def test_plain_values_are_shown_short(value, text):
    assert outputs.compact(value) == text


def test_ragged_lists_have_the_shape_of_their_even_levels():
    assert outputs.shape_of([["a", "b"], ["c"]]) == [2]
    assert outputs.shape_of([[1, 2], [3, 4], [5, 6]]) == [3, 2] and outputs.shape_of(7) == []


def test_fill_mask_shows_each_masks_proposals():
    one = [{"score": 0.6, "token": 1, "token_str": "<x>", "sequence": "a <x>"}]
    for result, masks in ((one, 1), ([one, one], 2)):
        view = outputs.pipeline_steps(TEXT_RUN, call("fill-mask", [TOKENS], [], result), EN)
        assert view.count(f"{EN['predictions']} ({EN['mask']}") == masks
        assert view.count(">&lt;x&gt;</span>") == masks


def test_entities_are_marked_in_the_text_and_listed():
    entities = [{"entity_group": "PER", "score": 0.9, "word": "b", "start": 3, "end": 4},
                {"entity_group": "LOC", "score": 0.25, "word": "c", "start": 6, "end": 7}]
    view = outputs.pipeline_steps(TEXT_RUN, call("token-classification", [TOKENS], [], entities, given="a <b> c"), EN)
    assert '<div class="explorer-source">a &lt;<mark class="explorer-span" style="background:hsl(108,75%,78%)" ' \
           'title="PER 0.9">b</mark>&gt; <mark class="explorer-span" style="background:hsl(30,75%,78%)" ' \
           'title="LOC 0.25">c</mark></div>' in view
    assert "<tr><td>PER</td><td>b</td><td>0.9</td><td>3:4</td></tr>" in view
    none = outputs.pipeline_steps(TEXT_RUN, call("token-classification", [TOKENS], [], []), EN)
    assert EN["no_entities"] in none


def test_the_answer_is_marked_in_the_context():
    answer = {"score": 0.5, "start": 2, "end": 5, "answer": "<b>"}
    view = outputs.pipeline_steps(TEXT_RUN, call("question-answering", [TOKENS], [], answer,
                                                 given={"question": "q", "context": "a <b> c"}), EN)
    assert 'title="0.5">&lt;b&gt;</mark> c</div>' in view
    assert "answer: &#x27;&lt;b&gt;&#x27; · score 0.5" in view


def test_a_transcription_is_the_text_or_says_it_is_empty():
    for text, shown in (("a <b>", "<b>a &lt;b&gt;</b>"), ("", html.note(EN["empty_transcription"]))):
        view = outputs.pipeline_steps(TEXT_RUN, call("automatic-speech-recognition", [TOKENS], [], {"text": text}),
                                      EN)
        assert view.endswith(f"<h4>4. Result</h4>{shown}")


def test_features_show_their_shape_and_an_unknown_task_its_result():
    features = outputs.pipeline_steps(TEXT_RUN, call("feature-extraction", [TOKENS], [], [[[0.0] * 3] * 4]), EN)
    assert features.endswith(html.note(f"{EN['features']}: [1, 4, 3]"))
    other = outputs.pipeline_steps(TEXT_RUN, call("text-generation", [TOKENS], [], [{"generated_text": "<b>"}]),
                                   EN)
    assert other.endswith(html.note("[{generated_text: <b>}]"))


def test_the_hidden_states_summary_has_one_row_per_tensor():
    view = outputs.hidden_states([("last_hidden_state", [1, 4, 8], 0.5, 1.0),
                                  ("attentions[0]", [1, 2, 4, 4], 0.123456, 0.25)], EN)
    assert titles_in(view) == [EN["hidden_states"]]
    assert "<tr><th>output</th><th>shape</th><th>mean</th><th>std</th></tr>" in view
    assert "<tr><td>last_hidden_state</td><td>[1, 4, 8]</td><td>0.5</td><td>1</td></tr>" in view
    assert "<tr><td>attentions[0]</td><td>[1, 2, 4, 4]</td><td>0.1235</td><td>0.25</td></tr>" in view


def test_a_model_run_alone_says_why_and_shows_its_inputs():
    rows = [("logits", [1, 4, 8], 0.5, 1.0)]
    text = outputs.RunFacts("AutoModelForCausalLM", "GPT2LMHeadModel", "text", ["a", "<b>"], {"input_ids": [1, 2]})
    view = outputs.model_run(text, "no <pipeline>", rows, EN)
    assert titles_in(view) == ["1. Inputs", EN["hidden_states"]]
    assert '<div class="explorer-note">no &lt;pipeline&gt;</div><h4>1. Inputs</h4>' \
           '<div class="explorer-note">a &lt;b&gt;</div>' in view
    image = outputs.RunFacts("AutoModel", "ViTModel", "image", input_shapes={"pixel_values": [1, 3, 32, 32]})
    assert '<h4>1. Inputs</h4><table class="explorer-table"><tr><td>pixel_values</td><td>[1, 3, 32, 32]</td>' \
           in outputs.model_run(image, "why", rows, EN)


def test_the_attention_view_titles_its_layer_head_and_shape_and_labels_the_axes():
    matrix = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]])
    view = outputs.attention(matrix, 1, 0, ["a", "<b>", "c"], EN)
    assert titles_in(view) == ["Attention (layer 1 · head 0, [2, 3])"]
    assert 'title="layer 1 · head 0"' in view and view.endswith('<div class="explorer-note">0:a 1:&lt;b&gt; 2:c</div>')
    [picture] = images_in(view)
    assert picture.size == (3 * (charts.HEATMAP_SIZE // 3), 2 * (charts.HEATMAP_SIZE // 3))
    assert "explorer-note" not in outputs.attention(matrix, 1, 0, [], EN)
