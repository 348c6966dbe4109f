"""The toolkit layer."""
