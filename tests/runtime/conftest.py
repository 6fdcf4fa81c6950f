"""pytest configuration for the runtime tests."""

import warnings

# dapr 1.19 warns when the legacy dapr-ext-workflow distribution is installed next to it
warnings.filterwarnings("ignore", message="Legacy Dapr extension", category=FutureWarning)
