"""Domain signals, so that one domain can react to another's changes without importing it.

Senders call ``signal.send(current_app._get_current_object(), **kwargs)`` after flushing and
before the view commits, so receivers work inside the same transaction."""
from blinker import Namespace

_signals = Namespace()

# A session's time, place, capacity or other details changed.
# kwargs: session (ProgrammeSession), changes (dict field -> {"old": …, "new": …}), actor (User|None)
session_changed = _signals.signal("session-changed")

# A room's capacity changed; sessions without a capacity of their own take the room's.
# kwargs: room (Room), old (int), new (int), actor (User|None)
room_capacity_changed = _signals.signal("room-capacity-changed")

# A session was cancelled (its status became cancelled). kwargs: session, actor
session_cancelled = _signals.signal("session-cancelled")

# A cancelled session was brought back. kwargs: session, actor, give_back (bool: the bookings
# its cancellation ended get their seats and places back)
session_restored = _signals.signal("session-restored")

# Anything in an event's published schedule changed (sessions, rooms, venues, publishing):
# caches of feeds and exports for this event must be dropped. kwargs: event (Event)
schedule_changed = _signals.signal("schedule-changed")

# A booking became confirmed: a free seat booked, a place on the waiting list turned into a
# seat, or a seat given by an organiser. kwargs: booking (Booking, flushed)
booking_confirmed = _signals.signal("booking-confirmed")

# Someone's name changed: it shows wherever they speak at, moderate or host a session, and
# names their own calendar feed. kwargs: user (User)
person_renamed = _signals.signal("person-renamed")

# An event entered or left the published programme. kwargs: event (Event), published (bool)
event_visibility_changed = _signals.signal("event-visibility-changed")

# Rows of a database table were written past the unit of work: by an UPDATE, DELETE or INSERT
# statement through the session, or by COPY (expo.core.db.insert_rows). The sender is the
# database session (not the app); kwargs: table (str, or None when the statement does not say).
# The caches built from the database follow it (pages, remembered counts, tables' regions).
rows_written = _signals.signal("rows-written")

# A transaction that changed the schedule (expo.core.generations) has just committed: what is
# built from the schedule can be built again. Sent after the commit, outside any transaction.
schedule_committed = _signals.signal("schedule-committed")
