"""Installation and lifecycle of the app in a portal: manifest, install, uninstall."""
