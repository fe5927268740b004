"""REST method handlers; importing this package registers every method."""

from . import crm_classic, crm_item, crm_meta, system  # noqa: F401
from .registry import METHODS, Call, ListResult

__all__ = ["METHODS", "Call", "ListResult"]
