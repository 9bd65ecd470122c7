"""Twinning programmes: an open call to cities, pilot cities, the matching of each accepted city
with a pilot city by shared challenges, and the pairs it publishes."""
