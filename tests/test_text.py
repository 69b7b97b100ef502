from core.text import visible


def test_escape_sequences_cannot_reach_the_terminal() -> None:
    assert visible("\x1b]2;PWND\x07") == "\u241b]2;PWND\\x07"
    assert visible("\x1b]52;c;SGk=\x07name") == "\u241b]52;c;SGk=\\x07name"
    assert visible("a\x9bb") == "a\\x9bb"
    assert visible("nul\x00") == "nul\\x00"


def test_ordinary_text_is_unchanged() -> None:
    assert visible("Akhil — Operations [/x] =HYPERLINK(") == "Akhil — Operations [/x] =HYPERLINK("
    assert visible("two\nlines") == "two\nlines"
    assert visible("two\nlines\tx", one_line=True) == "two\u21b5lines x"
    assert visible(None) == ""
