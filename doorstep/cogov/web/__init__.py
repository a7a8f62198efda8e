"""Pages and API of co-governance: the lists, matching, the liaison's queue."""
