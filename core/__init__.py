"""The foundation every app stands on; it imports no app of the project."""
