"""Telephony: Twilio webhooks, ConversationRelay and Media Streams, call control."""
