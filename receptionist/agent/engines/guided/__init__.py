"""The guided engine: a deterministic receptionist with no LLM (see `engine`)."""

from receptionist.agent.engines.guided.engine import GUIDED, GuidedEngine
from receptionist.agent.engines.guided.state import Stage

__all__ = ["GUIDED", "GuidedEngine", "Stage"]
