"""The fixture families that tools/make_fixtures.py writes, one module each."""
