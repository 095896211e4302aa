"""The label tables: the same keys in every language, and the app shows the chosen one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from explorer.errors import InputError
from explorer.widgets import ExplorerApp, i18n
from explorer.widgets.app import PANELS

WIDGETS = Path(i18n.__file__).parent


def test_every_language_has_the_same_keys_and_no_empty_label():
    english = set(i18n.EN)
    for lang, table in i18n.TABLES.items():
        assert set(table) == english, lang
        assert all(label.strip() for label in table.values()), lang


def test_every_label_the_code_asks_for_exists():
    """Literal lookups (labels["x"]) and the prefixed ones built from option values."""
    source = "\n".join(path.read_text() for path in WIDGETS.rglob("*.py"))
    asked = set(re.findall(r"labels\[[\"']([a-z_]+)[\"']\]", source))
    asked |= {f"panel_{panel.name}" for panel in PANELS} | {f"kind_{k}" for k in ("text", "image", "audio")}
    text = ExplorerApp().panels["text"]
    asked |= {prefix + str(value).lower() for control, prefix in ((text.mode, "mode_"), (text.padding, "padding_"),
                                                                  (text.truncation, "truncation_"))
              for _, value in control.options}
    asked |= {"loaded", "absent", "pending", "error"}  # Part.status
    assert asked <= set(i18n.EN), asked - set(i18n.EN)


def test_an_unknown_language_is_an_input_error_naming_the_choices():
    with pytest.raises(InputError, match="en, ko, zh"):
        i18n.labels_for("fr")


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_the_app_shows_the_chosen_language(lang, checkpoints):
    app = ExplorerApp(lang=lang)
    app.load(str(checkpoints["sentiment"]))
    table = i18n.TABLES[lang]
    assert app.load_button.description == table["load"]
    assert table["panel_text"] in app.panels["text"].box.children[0].value
    assert table["auto_classes"] in app.panels["resolution"].output.value
    assert table["step_postprocessing"] in app.show("outputs").output.value
    assert i18n.EN["auto_classes"] not in app.panels["resolution"].output.value


def test_the_chinese_labels_say_token_as_the_glossary_does():
    """The glossary's Chinese for tokenize and token classification is 标记化 and 标记分类, and the notebooks say 标记
    for a token: so does every label (another word for it, 词元, would read as a different thing)."""
    chinese = i18n.TABLES["zh"]
    assert chinese["token"] == chinese["tokens"] == "标记"
    assert [key for key, label in chinese.items() if "词元" in label] == []
