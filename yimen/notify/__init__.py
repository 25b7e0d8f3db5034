"""The outbox: every outbound message is written in the transaction of the change that causes it
and delivered after commit by `yimen worker` (docs/notifications.md)."""
