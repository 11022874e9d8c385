"""The domain, pure: units, data elements, indicators, periods, attainment."""
