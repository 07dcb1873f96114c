"""NLU building blocks: deterministic term and emergency matching over the knowledge synonyms."""
