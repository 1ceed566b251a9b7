"""What people read: notebook HTML views, self-contained run reports, deep links, and the
drawing's browser assets (one source for the app and notebooks). Imports everything
below it; nothing imports it but the CLI, the components and ``explorer/__init__``."""
