"""The curated knowledge: typed entries loaded from ``data/knowledge/*.yml``."""

from assistant.knowledge.base import EN, ES, SMS, WEB, EntityMention, KnowledgeBase, RenderedAnswer
from assistant.knowledge.loader import KnowledgeError, load_knowledge
from assistant.knowledge.store import KnowledgeStore, knowledge_dir_from_env

__all__ = [
    "EN",
    "ES",
    "SMS",
    "WEB",
    "EntityMention",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeStore",
    "RenderedAnswer",
    "knowledge_dir_from_env",
    "load_knowledge",
]
