"""The demo H22 City Expo and the generator of large H22-like data sets (for load tests).

Only the CLI uses this package: no domain imports it."""
