"""A project's photos: its keepers upload real photos (a file that only says it is one is
refused and nothing is kept); those who see the project see them, others get a 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doorstep.cogov.models import ProjectPhoto
from doorstep.cogov.tests.test_funds import receipt, running_project

pytestmark = pytest.mark.django_db


def test_keepers_upload_photos_that_only_the_projects_viewers_open(co, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = running_project(co)
    url = reverse("cogov:project_act", args=[project.pk, "photo"])
    client.force_login(co.p["community_officer"])
    fake = SimpleUploadedFile("施工前.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    r = client.post(url, {"image": fake, "caption": "施工前"}, follow=True)
    assert "“施工前.jpg”不是有效的图片" in r.content.decode() and ProjectPhoto.objects.count() == 0
    r = client.post(url, {"image": receipt("施工前.jpg"), "caption": "施工前"}, follow=True)
    assert "已上传照片" in r.content.decode()
    photo = ProjectPhoto.objects.get()
    page = client.get(reverse("cogov:project", args=[project.pk])).content.decode()
    photo_url = reverse("cogov:project_photo", args=[project.pk, photo.pk])
    assert photo_url in page and "施工前" in page
    opened = client.get(photo_url)
    assert opened.status_code == 200 and opened["Content-Type"] == "image/jpeg"
    assert b"".join(opened.streaming_content)[:2] == b"\xff\xd8"
    # another community's grid worker sees neither the project nor its photo
    client.force_login(co.p["grid_worker_b"])
    assert client.get(photo_url).status_code == 404
    client.force_login(co.p["resident"])  # a resident: not before it is published
    assert client.get(photo_url).status_code == 404
    r = client.post(url, {"image": receipt()})
    assert r.status_code in (302, 404) and ProjectPhoto.objects.count() == 1
