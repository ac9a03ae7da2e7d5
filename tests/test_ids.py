import time
from datetime import UTC, datetime

from calls.ids import ALPHABET, new_id


def decoded_milliseconds(call_id):
    value = 0
    for char in call_id[:10]:
        value = value * 32 + ALPHABET.index(char)
    return value


def test_it_makes_26_crockford_characters():
    call_id = new_id()
    assert len(call_id) == 26
    assert set(call_id) <= set(ALPHABET)
    assert call_id[0] in "01234567"


def test_it_puts_the_milliseconds_in_the_first_ten_characters():
    before = time.time_ns() // 1_000_000
    call_id = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= decoded_milliseconds(call_id) <= after


def test_it_makes_ids_for_a_given_time():
    at = datetime(2017, 11, 27, 14, 52, 53, 123000, tzinfo=UTC)
    assert decoded_milliseconds(new_id(at=at)) == 1511794373123
    assert new_id(at=at) != new_id(at=at)


def test_it_makes_100000_unique_ids_in_the_order_they_were_made():
    ids = [new_id() for _ in range(100_000)]
    assert len(set(ids)) == 100_000
    assert ids == sorted(ids)
    # Many share a millisecond, so the order is the counter's, not just the clock's.
    assert len({call_id[:10] for call_id in ids}) < 100_000


def test_it_sorts_ids_of_older_calls_before_newer_ones():
    older = new_id(at=datetime(2020, 1, 1, tzinfo=UTC))
    assert older < new_id(at=datetime(2020, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)) < new_id()
