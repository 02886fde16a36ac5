"""Finding the answer's first word in what Whisper heard: leading fillers and acknowledgements skipped."""

from evals.latency.answer_words import Word, find_answer, normalize


def _words(*texts: str) -> list[Word]:
    return [Word(text, index * 0.3, index * 0.3 + 0.25) for index, text in enumerate(texts)]


def test_the_first_word_is_the_answer_when_there_is_no_filler() -> None:
    words = _words("Can", "I", "have", "your", "name?")
    answer = find_answer(words)
    assert answer.first_word is words[0]
    assert answer.skipped == []


def test_the_budget_filler_and_an_acknowledgement_are_skipped_together() -> None:
    words = _words("Okay,", "one", "moment.", "I", "can", "send", "someone")
    answer = find_answer(words)
    assert answer.first_word is words[3]
    assert answer.skipped == ["Okay,", "one", "moment."]


def test_the_slow_tool_filler_is_skipped_whole() -> None:
    words = _words("One", "moment", "while", "I", "check", "that.", "You're", "booked.")
    assert find_answer(words).first_word is words[6]


def test_a_filler_split_or_joined_by_whisper_still_matches() -> None:
    assert find_answer(_words("Mm-", "hmm,", "yes")).first_word == _words("Mm-", "hmm,", "yes")[2]
    assert find_answer(_words("Alright,", "done")).skipped == ["Alright,"]
    assert find_answer(_words("all", "right.", "Done")).skipped == ["all", "right."]


def test_only_fillers_leave_no_answer_but_record_what_was_said() -> None:
    answer = find_answer(_words("One", "moment."))
    assert answer.first_word is None
    assert answer.skipped == ["One", "moment."]
    assert find_answer([]).first_word is None


def test_a_word_that_merely_starts_like_a_filler_is_the_answer() -> None:
    words = _words("Okayama", "is", "far")
    assert find_answer(words).first_word is words[0]
    # "one" alone is a number in an answer, not half of "one moment"
    words = _words("One", "technician", "is", "free")
    assert find_answer(words).first_word is words[0]


def test_punctuation_tokens_are_not_words() -> None:
    words = _words("...", "Sure,", "-", "booked")
    assert find_answer(words).first_word is words[3]


def test_normalize_ignores_case_and_punctuation() -> None:
    assert normalize("Mm-hmm,") == normalize("mmhmm") == "mmhmm"


def test_the_quick_confirms_are_not_the_answer() -> None:
    words = _words("Let", "me", "check", "that.", "I'm", "checking", "now.", "You're", "booked.")
    assert find_answer(words).first_word is words[7]
    words = _words("Of", "course.", "Saturday", "works.")
    assert find_answer(words).first_word is words[2]


def test_a_misheard_confirm_is_still_a_confirm() -> None:
    # Whisper tiny on "Thank you. Let me check that. I'm checking now. I can send someone..."
    words = _words(
        "Thank", "you.", "Let", "me", "check", "now.", "I'm", "checking", "out.", "I", "can", "send"
    )
    answer = find_answer(words)
    assert answer.first_word is words[9]
    assert answer.skipped[-3:] == ["I'm", "checking", "out."]


def test_a_short_answer_after_a_short_acknowledgement_is_the_answer() -> None:
    words = _words("Okay", "booked.")
    assert find_answer(words).first_word is words[1]
    words = _words("Sure.", "Booked", "for", "Saturday.")
    assert find_answer(words).first_word is words[1]
    # a real answer that merely shares a word or two with a confirm
    words = _words("Let", "me", "book", "Saturday", "for", "you.")
    assert find_answer(words).first_word is words[0]
