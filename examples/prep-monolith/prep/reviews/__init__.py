"""Guest reviews of kitchens."""
