"""The dispatch centre's (AMK) missions, framework-free: create, update and cancel as server-side writes."""
