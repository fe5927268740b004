"""Tests of the Bitrix24 REST wire layer (b24app.bitrix)."""
