"""Meetups: announced with RSVP buttons and a calendar file, reminded on time, followed up."""
