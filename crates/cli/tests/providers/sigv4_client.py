"""Signs one Bedrock InvokeModel request with botocore's own SigV4 signer (as AnthropicBedrock
does) and sends it exactly as signed to BASE_URL; prints what came back as one JSON line.

usage: sigv4_client.py BASE_URL ACCESS_KEY_ID SECRET_ACCESS_KEY
"""

import http.client
import json
import sys
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

base, access_key, secret_key = sys.argv[1:4]
url = base.rstrip("/") + "/model/" + urllib.parse.quote("anthropic.claude-sonnet-4-5-20250929-v1:0", safe="") + "/invoke"
body = json.dumps({
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
})
parts = urllib.parse.urlsplit(url)
headers = {
    "host": parts.netloc,
    "accept": "application/json",
    "accept-encoding": "gzip, deflate",
    "content-type": "application/json",
    "x-stainless-lang": "python",
    "x-stainless-retry-count": "0",
}
request = AWSRequest(method="POST", url=url, headers=headers, data=body)
SigV4Auth(Credentials(access_key, secret_key), "bedrock", "us-east-1").add_auth(request)
prepared = request.prepare()

connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
connection.putrequest("POST", parts.path, skip_host=True, skip_accept_encoding=True)
for name, value in prepared.headers.items():
    connection.putheader(name, value)
connection.putheader("content-length", str(len(body)))
connection.endheaders(body.encode())
response = connection.getresponse()
print(json.dumps({
    "status": response.status,
    "error_type": response.getheader("x-amzn-errortype"),
    "body": response.read().decode("utf-8", "replace"),
}))
