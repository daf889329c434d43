#!/usr/bin/python3
"""Sends one request to the running USB harness: harnessctl.py '{"op":"plug","profile":"aurora-c5540"}'.
Prints the JSON answer; exits 1 when the answer is not ok."""
import json, os, socket, sys

with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
    s.connect(os.environ['MFPB_USB_HARNESS'])
    s.sendall(sys.argv[1].encode() + b'\n')
    answer = s.makefile('rb').readline().decode()
print(answer.strip())
sys.exit(0 if json.loads(answer).get('ok') else 1)
