"""The audit log: who did what to whom, and when — administration of people, publications,
deletions and every export of personal data."""
