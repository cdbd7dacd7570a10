"""metrics-exporter: the values that come from the database and the event stream, exported once."""
