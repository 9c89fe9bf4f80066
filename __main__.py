"""ivs-clip-manifest: the AWS side of clipping IVS recordings by writing new HLS playlists.

Each concern is a module of ``infra/``; this file wires them together, in dependency order, and
exports what users need. Configuration keys and their defaults: ``infra/config.py`` and
docs/deploy.md.
"""

from pathlib import Path

import pulumi

from infra.api import allowed_origins, create_api
from infra.cdn import create_cdn
from infra.config import load_settings
from infra.export import create_export
from infra.functions import create_functions, create_jobs, lambda_code
from infra.ivs import create_channel, create_stage
from infra.routes import CLIP_MANIFEST, GET_CLIPS, GET_RECORDINGS
from infra.storage import create_storage, grant_cdn_read
from infra.studio import deploy_studio, readable_keys, studio_files

ROOT = Path(__file__).resolve().parent
settings = load_settings()
studio = studio_files(ROOT, settings)

# Storage: recordings and clips in one private bucket.
storage = create_storage(settings)
# IVS Real-Time (optional): a stage recording its participants under <stage_id>/, read and served like ivs/.
stage = create_stage(settings, storage) if settings.create_ivs_stage else None
storage = stage.storage if stage is not None else storage

# CDN: the only reader of the bucket; viewers fetch playlists and segments (and the studio) from here.
cdn = create_cdn(storage, settings, with_studio=bool(studio))
bucket_policy = grant_cdn_read(storage, settings, cdn.reader, extra_keys=readable_keys(studio))

# Browsers may call the API from the configured origins and from the CDN's own (the studio's page).
api_origins = allowed_origins(settings, [cdn.url])

# Functions: one per route, sharing one archive of handlers/, clipping/ and build/deps.
code = lambda_code(ROOT, settings)
functions = create_functions(settings, storage, cdn.url, code, api_origins)
functions += create_export(settings, storage, cdn.url, code, ROOT, api_origins)  # MP4 export (mp4Export)

# Scheduled functions: the sweep that removes expired clips.
jobs = create_jobs(settings, storage, cdn.url, code, api_origins)

# API: the routes of infra/routes.py (clip, listings, the clip lifecycle).
api = create_api(settings, functions, [cdn.url])

# Studio (when studio/ exists): the web app at https://<cdn>/, told where the API and media are.
deployed_routes = [f.route for f in functions]
studio_objects = deploy_studio(storage, studio, api.base_url, cdn.url, deployed_routes) if studio else []

# IVS (optional): a channel that records into the bucket.
channel = create_channel(settings, storage) if settings.create_ivs_channel else None

pulumi.export("api_url", api.base_url)
pulumi.export("clip_manifest_url", api.url(CLIP_MANIFEST))
pulumi.export("get_recordings_url", api.url(GET_RECORDINGS))
pulumi.export("get_clips_url", api.url(GET_CLIPS))
pulumi.export("cdn_url", cdn.url)
pulumi.export("bucket_name", storage.name)
if studio:
    pulumi.export("studio_url", pulumi.Output.concat(cdn.url, "/"))
if channel is not None:
    pulumi.export("ivs_channel_arn", channel.channel.arn)
    pulumi.export("ivs_ingest_endpoint", channel.channel.ingest_endpoint)
    pulumi.export("ivs_playback_url", channel.channel.playback_url)
    pulumi.export("ivs_stream_key", channel.stream_key)
if stage is not None:
    pulumi.export("ivs_stage_arn", stage.arn)
