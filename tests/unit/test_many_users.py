"""Many users on one server, the parts without a server: a session's job register stops its jobs
when Streamlit releases it (fake jobs, as a disconnected session would), the checked-in nginx
example is what benchmarks.servers generates, and the classroom client's parsing helpers."""
from benchmarks.classroom import shows_status
from benchmarks.servers import ROOT, nginx_config
from benchmarks.st_client import user_key
from ui import session_jobs


class FakeJob:
    def __init__(self, finished=False):
        self.finished, self.stops = finished, 0

    def stop(self):
        self.stops += 1


def test_release_stops_every_job_of_the_session_once():
    jobs = session_jobs.SessionJobs()
    a, b = FakeJob(), FakeJob()
    jobs.add(a)
    jobs.add(b)
    session_jobs.release(jobs)  # what Streamlit calls when the session disconnects or ends
    assert (a.stops, b.stops) == (1, 1) and len(jobs) == 0
    session_jobs.release(jobs)
    assert (a.stops, b.stops) == (1, 1)


def test_finished_jobs_are_forgotten_so_their_models_can_go():
    jobs = session_jobs.SessionJobs()
    old = FakeJob()
    jobs.add(old)
    old.finished = True
    jobs.add(FakeJob())
    assert len(jobs) == 1


def test_the_release_hook_is_registered_on_a_session_scoped_cache():
    cached = session_jobs.session_jobs
    assert cached._info.scope == "session" and cached._info.on_release is session_jobs.release


def test_deploy_nginx_example_is_the_generated_config():
    text = (ROOT / "deploy" / "nginx" / "convlab.conf").read_text()
    assert text == nginx_config([8501, 8502], "80")
    for needed in ("hash $convlab_route consistent", "proxy_set_header Upgrade $http_upgrade",
                   "proxy_set_header Connection $connection_upgrade", "proxy_set_header Host $http_host"):
        assert needed in text


def test_nginx_config_for_a_scratch_folder_keeps_files_there(tmp_path):
    text = nginx_config([1, 2, 3], "127.0.0.1:9", tmp_path)
    assert f"pid {tmp_path}/nginx.pid;" in text and f"proxy_temp_path {tmp_path}/proxy;" in text
    assert text.count("server 127.0.0.1:") == 3 and "listen 127.0.0.1:9;" in text


def test_client_helpers():
    assert user_key("$$ID-0123abc-conv_sh") == "conv_sh" and user_key("$$ID-0123abc-None") is None
    assert user_key("plain") is None
    assert shows_status("Done: 5 epochs in 12 s.") and shows_status("Done: 5 epochs in 12 s.", ("completed",))
    assert not shows_status("Epoch 1/5 · batch 2/4 · 3 s")
    assert shows_status("You left the queue; nothing was trained.", ("cancelled",))
