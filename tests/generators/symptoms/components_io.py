"""Radio, camera, audio and button components: their failure modes, conditions and telltale details."""

from __future__ import annotations

# component code → name, failure modes, conditions it shows under, telltale details. A mode is (key, formal
# wording, title wording, technicians' phrasings), a detail (key, formal wording, phrasings); phrasings split on |.
RADIO_AUDIO_AND_BUTTONS: dict[str, dict] = {
    "radio": {
        "name": "Radio",
        "modes": [
            (
                "no_signal",
                "No cellular service",
                "No cellular signal",
                (
                    "no signal|no service|cannot connect to mobile network|shows no bars|emergency calls only|"
                    "sim not registering on network|no network coverage where others have it|lost cellular|"
                    "no mobile reception|network not available|signal missing|no lte"
                ),
            ),
            (
                "drops",
                "Connection drops repeatedly",
                "Dropping connection",
                (
                    "signal keeps dropping|calls drop|connection drops out|loses network often|"
                    "drops calls frequently|disconnects from network|signal cuts in and out|keeps losing connection|"
                    "intermittent connection|dropped calls|connection unstable|network drops every few minutes"
                ),
            ),
            (
                "wifi",
                "Wi-Fi does not connect or cannot be enabled",
                "Wi-Fi failure",
                (
                    "wifi not working|cannot turn on wifi|wifi greyed out|wi-fi keeps disconnecting|"
                    "does not find wifi networks|wlan does not connect|wifi toggle stuck|no wifi networks found|"
                    "wifi slow and drops|wifi switch will not enable|internet over wifi fails|wlan dead"
                ),
            ),
            (
                "bt",
                "Bluetooth will not pair or keeps disconnecting",
                "Bluetooth failure",
                (
                    "bluetooth won't pair|bt keeps disconnecting|cannot turn on bluetooth|headphones cut out|"
                    "bluetooth audio stutters|bt not finding devices|pairing fails|bluetooth crashes|"
                    "car kit disconnects|watch loses connection|bluetooth toggles off|bt range very short"
                ),
            ),
            (
                "gps",
                "GPS takes long to fix or is inaccurate",
                "GPS failure",
                (
                    "gps not working|location inaccurate|no gps fix|maps shows wrong location|gps takes ages to lock|"
                    "location jumps around|navigation loses position|gps signal lost|cannot find location|gps drifts|"
                    "no satellites|position wrong by hundreds of metres"
                ),
            ),
        ],
        "conditions": ["cold", "heat", "update", "calls", "drop", "standby", "bluetooth", "load", "charging"],
        "details": [
            (
                "antenna",
                "worse when holding the lower edge",
                (
                    "worse when holding the bottom|hand on the lower edge kills it|depends on grip|"
                    "holding it a certain way"
                ),
            ),
            ("code_r19", "logging error R19", "error R19|r19 in modem log|R19 fault|err R19"),
            ("sim", "with any SIM card", "tried another sim, same|not the sim|different sim same issue|sim swapped"),
        ],
    },
    "camera": {
        "name": "Camera",
        "modes": [
            (
                "blurry",
                "Images blurry; autofocus fails",
                "Autofocus failure",
                (
                    "photos blurry|camera won't focus|autofocus not working|pictures out of focus|focus hunting|"
                    "blurry images|cannot focus close up|camera fuzzy|af broken|images soft|focus keeps moving|"
                    "everything blurred in camera"
                ),
            ),
            (
                "black",
                "Camera shows a black preview",
                "Black camera preview",
                (
                    "camera shows black screen|black preview|camera app black|nothing in viewfinder|"
                    "rear camera black|front cam black|camera not showing image|dark preview|camera displays nothing|"
                    "viewfinder black|black picture|camera blank"
                ),
            ),
            (
                "fails",
                "Camera fails to start",
                "Camera fails to start",
                (
                    "camera failed error|cannot connect to camera|camera app crashes|camera won't open|"
                    "camera not working message|camera error on launch|camera app closes immediately|"
                    "camera unavailable|camera crash|error opening camera|camera not detected|camera service stopped"
                ),
            ),
            (
                "noise",
                "Lens rattles or clicks",
                "Lens rattle",
                (
                    "camera rattles|clicking noise from camera|lens rattling|buzzing from camera module|"
                    "camera makes noise when shaken|loose lens sound|ticking camera|rattle near camera|lens clicking|"
                    "camera vibrates|grinding noise camera|something loose in camera"
                ),
            ),
            (
                "spots",
                "Spots or haze in every image",
                "Haze in images",
                (
                    "spots on photos|haze in pictures|foggy images|dust inside the lens|dark spot in every photo|"
                    "cloudy pictures|blurry patch in images|condensation in camera|misty photos|smudge in every shot|"
                    "marks on all pictures|lens fogged inside"
                ),
            ),
        ],
        "conditions": ["cold", "heat", "update", "humidity", "drop", "load", "boot", "aging"],
        "details": [
            ("ois", "with optical stabilisation engaged", "ois|image stabilisation|stabiliser on|when stabilising"),
            ("code_k02", "logging error K02", "error K02|k02 in log|K02 fault|err K02"),
            ("flash", "with the flash on", "with flash|when flash fires|flash on|using the torch"),
        ],
    },
    "speaker": {
        "name": "Speaker",
        "modes": [
            (
                "distorted",
                "Distorted or crackling sound",
                "Distorted speaker",
                (
                    "speaker crackles|sound distorted|rattling sound from speaker|buzzing audio|"
                    "crackling at high volume|speaker sounds blown|scratchy sound|audio distortion|speaker rattle|"
                    "fuzzy sound|music sounds broken|speaker buzzes"
                ),
            ),
            (
                "silent",
                "No sound from the speaker",
                "Speaker silent",
                (
                    "no sound|speaker not working|cannot hear ringtone|no audio from speaker|silent speaker|"
                    "speaker dead|no sound at all|sound only in headphones|ringtone silent|media has no sound|"
                    "loudspeaker dead|no speaker output"
                ),
            ),
            (
                "quiet",
                "Very low volume",
                "Low volume",
                (
                    "speaker very quiet|low volume even at max|sound too low|barely hear calls|volume weak|"
                    "speaker faint|muffled sound|quiet earpiece|can hardly hear|volume reduced|sound very soft|"
                    "low loudness"
                ),
            ),
            (
                "earpiece",
                "Earpiece has no sound during calls",
                "Earpiece silent",
                (
                    "cannot hear caller|earpiece not working|no sound in calls unless speakerphone|earpiece silent|"
                    "callers inaudible|ear speaker dead|only speakerphone works|no audio on calls|"
                    "can't hear the other person|earpiece quiet|call audio missing|receiver speaker broken"
                ),
            ),
        ],
        "conditions": ["humidity", "cold", "update", "calls", "drop", "load", "bluetooth", "aging", "heat"],
        "details": [
            ("high_volume", "at high volume", "at max volume|when loud|above 70 percent volume|high volume"),
            ("code_s11", "logging error S11", "error S11|s11 in audio log|S11 fault|err S11"),
            ("bass", "on bass-heavy content", "with bass|on music with bass|low frequencies|bassy songs"),
        ],
    },
    "microphone": {
        "name": "Microphone",
        "modes": [
            (
                "unheard",
                "Callers cannot hear the user",
                "Callers cannot hear",
                (
                    "callers cannot hear me|mic not working|microphone dead|other side hears nothing|"
                    "no audio sent on calls|people can't hear me|mic silent|recording has no sound|"
                    "voice not picked up|microphone not detected|mic muted by itself|outgoing audio missing"
                ),
            ),
            (
                "noise",
                "Microphone picks up noise or static",
                "Microphone noise",
                (
                    "static on calls|callers hear noise|microphone crackles|hissing on recordings|buzz in recordings|"
                    "mic noise|crackling voice|background noise on mic|callers hear static|distorted voice on calls|"
                    "recording noisy|whistling on mic"
                ),
            ),
            (
                "echo",
                "Callers hear echo",
                "Echo on calls",
                (
                    "callers hear echo|echo on calls|my voice echoes|feedback loop on calls|"
                    "echo cancellation not working|other party hears themselves|echoing voice|reverb on calls|"
                    "double voice on line|echo in speakerphone|callers complain of echo|hearing delay echo"
                ),
            ),
            (
                "quiet",
                "Microphone sensitivity very low",
                "Quiet microphone",
                (
                    "callers say i sound far away|mic very quiet|low mic volume|voice recordings faint|"
                    "have to shout to be heard|microphone weak|muffled voice|mic sensitivity low|sounds distant|"
                    "recordings very quiet|voice too soft|weak microphone"
                ),
            ),
        ],
        "conditions": ["humidity", "calls", "update", "bluetooth", "cold", "drop", "aging", "load"],
        "details": [
            (
                "video",
                "also in video recordings",
                "in videos too|video audio bad|video recordings as well|also when filming",
            ),
            ("code_a08", "logging error A08", "error A08|a08 in log|A08 fault|err A08"),
            ("case", "with or without a case", "case removed same|not the case|without cover too|tested without case"),
        ],
    },
    "buttons": {
        "name": "Buttons",
        "modes": [
            (
                "power_stuck",
                "Power button stuck or not responding",
                "Power button failure",
                (
                    "power button stuck|power key not working|side button does not click|have to press power hard|"
                    "power button unresponsive|lock button broken|power button sunk in|cannot wake with power key|"
                    "power switch dead|button mushy|power key stuck down|sleep button fails"
                ),
            ),
            (
                "volume",
                "Volume keys do not work or press themselves",
                "Volume key failure",
                (
                    "volume buttons not working|volume up stuck|volume goes down by itself|volume rocker broken|"
                    "volume keys unresponsive|vol down pressed constantly|volume button loose|"
                    "volume changes on its own|cannot change volume with keys|rocker does not click|"
                    "volume key sticky|volume buttons dead"
                ),
            ),
            (
                "phantom",
                "Phantom button presses",
                "Phantom key presses",
                (
                    "screenshot taken by itself|buttons pressing themselves|assistant launches on its own|"
                    "phantom button press|power menu pops up randomly|keeps locking itself|random key presses|"
                    "button triggers itself|camera launches by itself|ghost button press|screen turns off by itself|"
                    "emergency sos triggered randomly"
                ),
            ),
            (
                "fingerprint",
                "Fingerprint sensor in the key fails",
                "Fingerprint sensor failure",
                (
                    "fingerprint not recognised|fingerprint sensor not working|cannot enroll fingerprint|"
                    "finger scanner dead|fingerprint hardware not available|unlock by finger fails|fp sensor error|"
                    "biometric not working|fingerprint reader unresponsive|touch id fails|finger unlock broken|"
                    "fingerprint disappeared from settings"
                ),
            ),
        ],
        "conditions": ["cold", "humidity", "update", "drop", "aging", "heat", "charging", "standby"],
        "details": [
            ("case", "only with a case on", "with case on|case pressing buttons|only in the case|thick case"),
            ("code_k17", "logging error K17", "error K17|k17 in log|K17 fault|err K17"),
            ("sticky", "with a sticky feel", "feels sticky|gummy button|sticky key|residue around button"),
        ],
    },
}
