"""Presentation view and deep links: what a stakeholder sees and shares."""
