"""The director's offline app (issue 14): an installable web app on the same Django forms, whose
pages work with no network from what the phone cached, and whose entries wait in an outbox on
the phone until they can be sent."""
