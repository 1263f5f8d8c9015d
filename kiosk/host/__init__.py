"""The host: what ties the kiosk's processes to the PC they run on.

systemd's side of things lives here and nowhere else: the unit files `kiosk install-units`
writes (units.py), telling systemd that a process is ready and alive (notify.py), and
logging to the journal when systemd started the process, else to rotating files (logs.py).
Nothing here imports Textual or the web server; the faces call in.
"""
