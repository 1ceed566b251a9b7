"""Streamlit rendering pieces: each takes explorer objects and draws them; no TensorFlow here."""
