"""`b24app demo`: an emulated portal with the app installed by the real handshake."""
