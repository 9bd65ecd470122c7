"""Domain signals, so that one domain can react to another's changes without importing it.

Senders call ``signal.send(current_app._get_current_object(), **kwargs)`` after flushing and
before the view commits, so receivers work inside the same transaction."""
from blinker import Namespace

_signals = Namespace()

# A session's time, place, capacity or other details changed.
# kwargs: session (ProgrammeSession), changes (dict field -> {"old": …, "new": …}), actor (User|None)
session_changed = _signals.signal("session-changed")

# A session was cancelled (its status became cancelled). kwargs: session, actor
session_cancelled = _signals.signal("session-cancelled")

# Anything in an event's published schedule changed (sessions, rooms, venues, publishing):
# caches of feeds and exports for this event must be dropped. kwargs: event (Event)
schedule_changed = _signals.signal("schedule-changed")

# Someone's name changed: it shows wherever they speak at, moderate or host a session, and
# names their own calendar feed. kwargs: user (User)
person_renamed = _signals.signal("person-renamed")
