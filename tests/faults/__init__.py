"""The fault suite (issue 12): the live path and storage under the faults a venue or a
PaaS produces, against real processes. Loss is counted; speed is never asserted."""
