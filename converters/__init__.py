"""Converters from trained Keras models to deployable formats, each validated against its reference."""
