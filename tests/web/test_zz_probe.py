from __future__ import annotations

HX = {"HX-Request": "true"}


def test_probe(server, client, host):
    r = client.get("/e/demo")
    print(r.status_code, r.headers.get("set-cookie"))
    stress = server.pitch("stress")
    r = client.post(f"/e/demo/pitches/00{stress.id}/interest", headers=HX)
    print("007 interest", r.status_code, r.text[:200])
    s = server.slot(2, "Store sal")
    r = client.post(f"/e/demo/sessions/{s.id}/notes", data={"kind": "bad", "text": "x"}, headers=HX)
    print("note htmx not checked in", r.status_code, r.text[:300])
    r = client.post(f"/e/demo/sessions/{s.id}/notes", data={"kind": "bad", "text": "x"})
    print("note plain not checked in", r.status_code, "must be one of" in r.text)
    r = host.post("/e/demo/host/rooms/999999/delete")
    print("room unknown", r.status_code, r.text[-300:])
    r = client.get("/e/demo/report.json")
    print("report.json", "Motion og" in r.text, "Gratis parkering" in r.text)
    # approved dup into pending target
    motion = server.pitch("motion")
    r = host.post(f"/e/demo/host/pitches/{server.pitch('paedagogik').id}/merge", data={"into": motion.id})
    print("merge approved into pending", r.status_code, server.get(type(motion), motion.id).status)
    r = client.get("/e/demo")
    print(r.headers)
    r = client.get("/e/demo/screen")
    print(r.text[:3000])
