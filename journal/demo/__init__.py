"""Demo scenarios as data (``scenarios()``), built on published MedCom/NSP test persons."""

from journal.demo.scenarios import Scenario, scenarios

__all__ = ["Scenario", "scenarios"]
