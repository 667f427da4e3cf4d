"""Demo scenarios as data (``scenarios()``), built on published MedCom/NSP test persons."""

from journal.demo.scenarios import Scenario, live_scenarios, scenarios

__all__ = ["Scenario", "live_scenarios", "scenarios"]
