"""ui.widget_texts: Streamlit's English widget texts map to Korean ones, and to nothing in English."""
from ui import i18n, widget_texts


def test_korean_maps_every_streamlit_text_to_a_korean_one():
    texts, patterns = widget_texts.translations("ko")
    english = i18n.catalog("en")
    assert len(texts) == sum(key.startswith("st_widgets.") for key in english)
    assert texts["Upload"] == "업로드" and texts["Download as CSV"] == "CSV로 내려받기"
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in shown) for shown in texts.values())
    assert ("{size} per file", "파일당 최대 {size}") in patterns


def test_english_is_streamlits_own_language_and_changes_nothing():
    assert widget_texts.translations("en") == ({}, [])
