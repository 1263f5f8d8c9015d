"""Speech: what is said and how it is heard, for the patron kiosk and the announcer.

- `phrases.py`: the words (calls, ticket labels spoken as a person says them); pure text;
- `audio.py`: samples and WAV files, the chime, gain;
- `engine.py`: the pyttsx3/espeak-ng engine as a client of its worker process (`worker.py`);
- `player.py`: playing a WAV with the configured command, its exit code checked;
- `voice.py`: the patron kiosk's voice (interruptible prompts, volume steps).

Nothing here is imported at package import: num2words and the engine are slow to load, and
the patron kiosk loads them only after its first frame.
"""
