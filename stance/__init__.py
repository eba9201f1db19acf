"""stance: who said what about immigration, elections and regulation, with what stance."""
__version__ = "0.1.0"
