"""The Alibaba Cloud and Tencent Cloud adapters against a local stub server that checks their
signatures; their error codes; the known answer of Alibaba Cloud's documented signature example."""

import pytest

from yimen.notify import messages
from yimen.notify.backends import Outgoing
from yimen.notify.backends.aliyun import AliyunProvider, sign
from yimen.notify.backends.tencent import TencentProvider
from yimen.notify.stub import KEY_ID, SECRET, StubServer

TEMPLATES = {"case.terminated": "SMS_100"}


@pytest.fixture
def stub():
    server = StubServer().start()
    yield server
    server.stop()


def _msg(i=1):
    params = {"receipt": "CX0001", "deadline": "2026-03-02"}
    return Outgoing(
        id=i,
        to="13800138000",
        template=messages.get("case.terminated"),
        params=params,
        text=messages.render("case.terminated", params),
    )


def aliyun(stub, secret=SECRET):
    return AliyunProvider(
        access_key_id=KEY_ID, access_key_secret=secret, endpoint=stub.url, templates=TEMPLATES
    )


def tencent(stub, secret=SECRET):
    return TencentProvider(
        secret_id=KEY_ID,
        secret_key=secret,
        app_id="1400000000",
        endpoint=stub.url,
        templates=TEMPLATES,
    )


def test_aliyun_signature_matches_the_documented_example():
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert sign(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


@pytest.mark.parametrize("make", [aliyun, tencent])
def test_send_is_signed_and_accepted(stub, make):
    result = make(stub).send(_msg())
    assert result.ok and result.message_id
    assert stub.state.bad_signatures == 0
    (accepted,) = stub.state.accepted
    assert accepted["reference"] == "yimen-1" and accepted["to"] == "13800138000"
    assert accepted["template"] == "SMS_100" and accepted["sign"] == "西宁政务服务"


def test_tencent_sends_parameters_in_placeholder_order(stub):
    tencent(stub).send(_msg())
    assert stub.state.accepted[0]["params"] == ["CX0001", "2026-03-02"]


@pytest.mark.parametrize("make", [aliyun, tencent])
def test_a_wrong_secret_is_refused_by_the_signature_check(stub, make):
    result = make(stub, secret="wrong").send(_msg())
    assert not result.ok and result.retry and stub.state.bad_signatures == 1
    assert not stub.state.accepted


@pytest.mark.parametrize(
    "make,code,retry",
    [
        (aliyun, "isv.BUSINESS_LIMIT_CONTROL", True),
        (aliyun, "isv.MOBILE_NUMBER_ILLEGAL", False),
        (tencent, "LimitExceeded.PhoneNumberThirtySecondLimit", True),
        (tencent, "InvalidParameterValue.IncorrectPhoneNumber", False),
    ],
)
def test_error_codes_say_whether_to_retry(stub, make, code, retry):
    stub.state.fail_next.append(code)
    result = make(stub).send(_msg())
    assert not result.ok and result.retry is retry and code in result.error


@pytest.mark.parametrize("make", [aliyun, tencent])
def test_find_tells_whether_the_provider_has_the_message(stub, make):
    provider = make(stub)
    assert provider.find(_msg(7)) is None
    provider.send(_msg(7))
    found = provider.find(_msg(7))
    assert found is not None and found.ok


def test_a_template_without_a_registered_code_is_dead(stub):
    provider = AliyunProvider(
        access_key_id=KEY_ID, access_key_secret=SECRET, endpoint=stub.url, templates={}
    )
    result = provider.send(_msg())
    assert not result.ok and not result.retry and "未配置模板编号" in result.error


def test_an_unreachable_provider_is_retried(db):
    from yimen.notify.backends import ProviderUnavailable

    provider = AliyunProvider(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        endpoint="http://127.0.0.1:9/",
        templates=TEMPLATES,
    )
    with pytest.raises(ProviderUnavailable):
        provider.send(_msg())


def test_the_simulator_is_labelled_and_can_refuse():
    from yimen.notify.backends import get_provider
    from yimen.notify.backends.simulator import SimulatorProvider

    sim = get_provider("simulator")
    assert isinstance(sim, SimulatorProvider) and "模拟" in sim.label
    result = sim.send(_msg(41))
    assert result.ok and result.message_id.startswith("sim-")
    assert sim.find(_msg(41)).ok
    refusing = SimulatorProvider(failure_rate=1.0)
    result = refusing.send(_msg(42))
    assert not result.ok and result.retry
