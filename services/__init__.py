"""Domain operations: verb functions on glossary nouns. They flush, never commit."""
