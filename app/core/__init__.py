"""The kernel: settings, the database engine and sessions, feed configuration, migrations,
and the data-changed hook. It imports nothing of Homeward but ``models``."""
