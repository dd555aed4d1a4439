"""Failure patterns and the symptom texts technicians write about them, generated for demos and benchmarks.

A pattern is a failure mode of a component under a condition (the battery drains fast in the cold),
sometimes with a telltale detail (a burning smell), on some product models. Engineers describe it
formally; technicians write what they see in their own words: synonyms, abbreviations, typos, the
condition first or last, words about the customer or the bench around it. ``pattern_specs`` draws a
catalogue of patterns, ``technician_text`` one technician's note about a unit that has one.

Every phrase list is split: the first three quarters of each list are the *shared* vocabulary, the
rest *novel* phrasings, so a benchmark can learn from history written with one and test on notes
written with the other. Everything is driven by a ``random.Random``: the same seed gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# component code → name, failure modes, conditions it shows under, telltale details. A mode is (key, formal
# wording, title wording, technicians' phrasings), a condition (formal, title, phrasings); phrasings split on |.

GENERIC_CONDITIONS: dict[str, tuple[str, str, str]] = {
    "cold": (
        "at low ambient temperature (below 5 °C)",
        "in the cold",
        (
            "when its cold|in cold weather|outside in winter|below 5 degrees|at low temperature|"
            "when the phone is cold|after being outdoors in the cold|in freezing temps|"
            "when left in a cold car|on cold mornings|in winter only|when temp drops"
        ),
    ),
    "heat": (
        "at high ambient temperature or after sun exposure",
        "in the heat",
        (
            "when its hot outside|in hot weather|after lying in the sun|at high temperature|in summer heat|"
            "when left in a hot car|above 35 degrees|when the room is warm|after sun exposure|"
            "in direct sunlight|on hot days|in a heatwave"
        ),
    ),
    "update": (
        "after a firmware update",
        "after update",
        (
            "after the last update|since the firmware update|after updating|started after fw update|"
            "after installing the new software|since the OTA update|right after the update|"
            "after system upgrade|since updating the software|following the latest firmware|"
            "after the update last week|post update"
        ),
    ),
    "charging": (
        "while charging",
        "while charging",
        (
            "while charging|when plugged in|during charging|on the charger|when connected to power|"
            "whilst charging|when charging overnight|while on the charger|when the cable is connected|"
            "during a charge|plugged in to mains|when on charge"
        ),
    ),
    "load": (
        "under sustained heavy load (gaming, video recording, navigation)",
        "under load",
        (
            "when gaming|during video recording|under heavy use|when using navigation|while streaming video|"
            "when running many apps|during long video calls|playing games|"
            "when using the camera for a long time|under load|with heavy apps open|during intensive use"
        ),
    ),
    "standby": (
        "in standby, with the screen off",
        "in standby",
        (
            "in standby|overnight when not in use|when the screen is off|while idle|when left on the table|"
            "in sleep mode|when not being used|over night|in idle|while in the pocket|when locked|at rest"
        ),
    ),
    "humidity": (
        "after exposure to humidity (bathroom, rain)",
        "after humidity",
        (
            "after a shower in the bathroom|in humid conditions|after being in the rain|in damp weather|"
            "when its humid|after using it in the bathroom|in high humidity|on rainy days|after condensation|"
            "in a steamy room|in the tropics|when its muggy"
        ),
    ),
    "boot": (
        "at power-on, during boot",
        "at boot",
        (
            "at power on|during boot|when switching on|on startup|when booting|at startup|"
            "right after turning it on|during the boot logo|when powering up|on power up|as soon as it boots|"
            "while starting"
        ),
    ),
    "drop": (
        "after a minor drop (no visible damage)",
        "after a minor drop",
        (
            "after a small drop|after dropping it once|after a light knock|since it fell off the table|"
            "after a bump|after it slipped from a pocket|after a minor fall|after being dropped on carpet|"
            "since a little drop|following a drop from low height|after a tap on the corner|"
            "after falling from the bed"
        ),
    ),
    "aging": (
        "after several months of normal use",
        "after months of use",
        (
            "after a few months|after about 6 months|after a year of use|gradually over time|"
            "after several months|getting worse over months|since last few months|after long use|with age|"
            "after 8 months of use|slowly over time|after extended use"
        ),
    ),
    "calls": (
        "during voice calls",
        "during calls",
        (
            "during calls|when on a phone call|while calling|on voice calls|when making calls|"
            "in the middle of a call|when answering calls|on long calls|during phone calls|"
            "while talking on the phone|on calls only|when on speakerphone"
        ),
    ),
    "bluetooth": (
        "while a Bluetooth accessory is connected",
        "with Bluetooth on",
        (
            "with bluetooth headphones connected|when BT is on|when paired to the car|"
            "with a smartwatch connected|while using bluetooth|with earbuds paired|when bluetooth is enabled|"
            "connected to a BT speaker|when using wireless headphones|with bluetooth active|"
            "paired with car kit|when the watch is connected"
        ),
    ),
}

COMPONENTS: dict[str, dict] = {
    "battery": {
        "name": "Battery",
        "modes": [
            (
                "drain",
                "Rapid discharge: battery level falls far faster than the usage explains",
                "Rapid battery drain",
                (
                    "battery drains very fast|battery dies quickly|loses charge fast|"
                    "battery percentage drops quickly|runs flat within hours|battery goes from full to empty fast|"
                    "poor battery life|battery does not last the day|charge disappears quickly|"
                    "battery empties in a few hours|battery life very short|drains battery like crazy"
                ),
            ),
            (
                "swelling",
                "Cell swelling lifts the back cover",
                "Swollen cell",
                (
                    "battery swollen|battery is bulging|back cover lifting because of the battery|battery puffed up|"
                    "swelling battery pushing the screen|case bulges at the back|battery expanded|"
                    "back panel popping off|bloated battery|battery pillowing|"
                    "gap between screen and frame from swollen battery|housing deformed by the battery"
                ),
            ),
            (
                "shutdown",
                "Sudden shutdown with charge remaining",
                "Shutdown with charge left",
                (
                    "shuts down with 30 percent left|turns off suddenly with battery remaining|dies at 20% charge|"
                    "switches off even though battery shows charge|powers off unexpectedly with charge left|"
                    "random shutdowns with plenty of battery|cuts out at around 40 percent|"
                    "goes dead while battery indicator shows charge|sudden power loss with battery not empty|"
                    "shuts off at mid charge|turns itself off with half battery|dies without warning despite charge"
                ),
            ),
            (
                "no_charge",
                "Battery does not accept charge",
                "Does not charge",
                (
                    "will not charge|battery not charging|stuck at the same percentage when charging|"
                    "charging icon shows but level does not rise|battery never gets above 10 percent|"
                    "does not take a charge|charge stays at zero|cannot charge the battery|battery refuses to charge|"
                    "charging stops at 80 percent|charge level not increasing|wont charge up"
                ),
            ),
            (
                "overheat",
                "Battery overheats",
                "Battery overheating",
                (
                    "battery gets very hot|overheats at the back|battery too hot to touch|back of phone burning hot|"
                    "battery heating up|excessive heat from the battery|gets really warm near the battery|"
                    "battery temperature warning|hot spot on the back cover|overheating battery|heats up a lot|"
                    "temperature warning shown"
                ),
            ),
            (
                "gauge",
                "Fuel gauge reports a wrong state of charge",
                "Wrong battery level",
                (
                    "battery percentage jumps around|battery level wrong|shows 100 percent then drops to 50|"
                    "charge indicator inaccurate|battery reading jumps|percentage not reliable|battery meter stuck|"
                    "level jumps from 60 to 5|battery gauge incorrect|wrong battery percentage|"
                    "erratic battery reading|battery indicator all over the place"
                ),
            ),
        ],
        "conditions": ["cold", "heat", "update", "charging", "load", "standby", "aging", "boot"],
        "details": [
            ("smell", "with a chemical smell", "smells of chemicals|strange smell|burning smell|odd odour"),
            ("hiss", "with a hissing sound", "hissing noise|makes a hiss|fizzing sound|sizzling sound"),
            ("code_b12", "logging error B12", "error B12|code B12 in the log|B12 fault logged|err b12"),
        ],
    },
    "charging-port": {
        "name": "Charging port",
        "modes": [
            (
                "loose",
                "Cable does not seat; connection drops when the cable moves",
                "Loose cable connection",
                (
                    "cable loose in the port|charger falls out|connection drops when cable moves|"
                    "have to hold the cable at an angle|port is wobbly|plug does not click in|"
                    "charging cuts in and out when touching the cable|usb cable wiggles|cable does not stay in|"
                    "loose usb-c port|port feels worn|connector slack"
                ),
            ),
            (
                "no_detect",
                "Charger not detected",
                "Charger not detected",
                (
                    "does not detect the charger|no charging icon when plugged|not recognising the cable|"
                    "nothing happens when plugged in|charger not recognised|no response to usb cable|"
                    "does not show charging|plugging in does nothing|usb not detected|"
                    "no reaction when connected to charger|cable not seen|charger ignored"
                ),
            ),
            (
                "slow",
                "Charges far slower than rated; fast charge not negotiated",
                "Slow charging",
                (
                    "charges very slowly|takes all night to charge|fast charging not working|slow charge only|"
                    "says charging slowly|charging takes 6 hours|no quick charge|very slow to fill up|"
                    "charging speed low|fast charge not supported anymore|trickle charging only|charge rate terrible"
                ),
            ),
            (
                "corrosion",
                "Corrosion on the port contacts",
                "Port corrosion",
                (
                    "green corrosion in port|contacts corroded|rust in the usb port|port pins discoloured|"
                    "oxidation on connector|corroded charging port|residue on port contacts|port pins look burnt|"
                    "blackened contacts|crusty deposit in port|pins tarnished|dirty corroded pins"
                ),
            ),
            (
                "data",
                "No data connection over USB; charging works",
                "No USB data",
                (
                    "computer does not see the phone|no file transfer over usb|usb data not working|"
                    "pc does not recognise device|only charges, no data|cannot connect to laptop|mtp not working|"
                    "no usb connection to computer|data transfer fails|not showing up on pc|usb sync broken|"
                    "adb does not detect"
                ),
            ),
            (
                "hot",
                "Port overheats when charging",
                "Hot charging port",
                (
                    "port gets hot|connector very hot when charging|usb port heating|cable end gets hot|"
                    "plug melted a bit|port burning hot|heat at the bottom near the port|charging port overheating|"
                    "warm connector|port hot to touch|bottom edge hot|plug too hot"
                ),
            ),
        ],
        "conditions": ["charging", "humidity", "drop", "aging", "heat", "update", "load", "standby"],
        "details": [
            (
                "moisture_warning",
                "with a moisture warning",
                "moisture detected message|liquid in port warning|water warning|moisture alert",
            ),
            ("spark", "with a visible spark", "saw a spark|sparks when plugging|small spark|flash at the port"),
            ("code_c07", "logging error C07", "error C07|C07 in the log|c07 fault|err C07"),
        ],
    },
    "display": {
        "name": "Display",
        "modes": [
            (
                "flicker",
                "Display flickers",
                "Display flicker",
                (
                    "screen flickers|display flickering|screen blinks|flashing display|screen flashes on and off|"
                    "brightness flickers|display stutters|screen keeps flickering|strobing screen|"
                    "the picture flickers|flicker on the lcd|screen pulsing"
                ),
            ),
            (
                "lines",
                "Vertical or horizontal lines across the display",
                "Lines on display",
                (
                    "lines on the screen|vertical lines across display|horizontal stripes on screen|"
                    "green line down the screen|coloured lines on display|pink line vertical|"
                    "lines across the picture|striped display|bars on screen|a line of dead pixels|"
                    "streaks on the screen|white vertical line"
                ),
            ),
            (
                "black",
                "No image although the device is on",
                "Black screen",
                (
                    "screen stays black|no display but phone is on|black screen, still vibrates|display dead|"
                    "nothing on screen|screen does not light up|blank screen|no picture|screen off but sounds work|"
                    "display not turning on|dark screen|can hear notifications but screen black"
                ),
            ),
            (
                "burn_in",
                "Image retention / burn-in",
                "Burn-in",
                (
                    "ghost image on screen|burn in of keyboard|image retention|status bar burnt into screen|"
                    "shadow of old image|screen burn|ghosting on display|faint image stays|burned in icons|"
                    "persistent image|after image visible|old picture remains"
                ),
            ),
            (
                "tint",
                "Colour tint or uneven colour",
                "Colour tint",
                (
                    "green tint on screen|colours wrong|pink tint|yellow patch on display|uneven colours|"
                    "screen looks purple|colour shift|blue cast on display|discoloured area|tint at the edges|"
                    "white looks grey and green|colour blotches"
                ),
            ),
            (
                "dim",
                "Backlight too dim / brightness stuck",
                "Dim backlight",
                (
                    "screen very dim|brightness stuck low|backlight weak|cannot increase brightness|display too dark|"
                    "dim screen even at max|brightness does not change|low brightness|backlight fading|"
                    "dark display in daylight|screen barely visible|auto brightness stuck"
                ),
            ),
        ],
        "conditions": ["cold", "heat", "update", "boot", "drop", "aging", "load", "humidity"],
        "details": [
            (
                "low_brightness",
                "mostly at low brightness",
                "worse at low brightness|at low brightness|when brightness is low|dim setting",
            ),
            (
                "pressure",
                "changing when the frame is pressed",
                (
                    "changes when pressing the frame|pressing the corner fixes it|press on screen edge|"
                    "squeezing the case"
                ),
            ),
            ("code_d31", "logging error D31", "error D31|D31 logged|d31 code|err D31"),
        ],
    },
    "touchscreen": {
        "name": "Touchscreen",
        "modes": [
            (
                "ghost",
                "Phantom touches",
                "Ghost touches",
                (
                    "ghost touches|screen presses by itself|phantom taps|apps open on their own|"
                    "touchscreen acting on its own|random touches|typing by itself|screen clicking on its own|"
                    "self touching|touch input without touching|jumps around by itself|phantom input"
                ),
            ),
            (
                "dead_zone",
                "Area of the touchscreen unresponsive",
                "Touch dead zone",
                (
                    "part of the screen not responding|dead zone on touchscreen|"
                    "bottom of screen does not register touch|cannot tap top corner|touch not working in one area|"
                    "strip of screen unresponsive|keyboard letters not working|dead spot on screen|"
                    "touch missing in the middle|can't press the back button area|one side of screen dead|touch gap"
                ),
            ),
            (
                "unresponsive",
                "Touchscreen fully unresponsive",
                "Touch unresponsive",
                (
                    "touch does not work at all|screen not responding to touch|touchscreen dead|"
                    "can't unlock, touch not working|no touch response|screen frozen to touch|taps do nothing|"
                    "touch panel unresponsive|touch stopped working|cannot swipe|swipes ignored|"
                    "display works but touch does not"
                ),
            ),
            (
                "lag",
                "Touch input lags or registers late",
                "Touch lag",
                (
                    "touch very laggy|delay when tapping|slow touch response|touch registers late|input lag|"
                    "scrolling jerky|taps register twice|touch sluggish|swipes delayed|lag between tap and action|"
                    "unresponsive at times then catches up|touch stutter"
                ),
            ),
        ],
        "conditions": ["charging", "cold", "update", "humidity", "heat", "drop", "standby", "aging"],
        "details": [
            (
                "screen_protector",
                "with or without a screen protector",
                (
                    "without the screen protector too|removed screen protector, same|not the protector|"
                    "tested without protector"
                ),
            ),
            ("edge", "mostly near the edges", "near the edges|at the screen edge|along the side|edges worst"),
            ("code_t05", "logging error T05", "error T05|t05 in the log|T05 fault|err T05"),
        ],
    },
    "mainboard": {
        "name": "Mainboard",
        "modes": [
            (
                "bootloop",
                "Boot loop: restarts repeatedly during start-up",
                "Boot loop",
                (
                    "stuck in boot loop|keeps restarting at logo|reboots over and over|bootloops|"
                    "never finishes booting|restarts endlessly|boot loop on logo screen|cycles through startup|"
                    "restarting constantly at boot|loops on the splash screen|keeps rebooting itself|"
                    "stuck restarting"
                ),
            ),
            (
                "dead",
                "No power, no signs of life",
                "No power",
                (
                    "completely dead|does not turn on|no signs of life|won't power on|dead, no vibration|"
                    "nothing when pressing power|no power at all|totally dead unit|will not switch on|"
                    "no response to power button|bricked|no boot, no led"
                ),
            ),
            (
                "random_reboot",
                "Random reboots during use",
                "Random reboots",
                (
                    "random reboots|restarts by itself during use|reboots randomly|spontaneous restarts|"
                    "restarts several times a day|reboots without reason|unexpected restart|resets itself|"
                    "crashes and restarts|phone restarts while using apps|keeps resetting|sudden reboot"
                ),
            ),
            (
                "freeze",
                "System freezes; needs a forced restart",
                "System freeze",
                (
                    "freezes completely|hangs and needs force restart|screen freezes|"
                    "becomes unresponsive and locks up|system hang|stuck frozen|locks up|phone hangs|freezing often|"
                    "ui freezes|gets stuck and stops responding|total lockup"
                ),
            ),
            (
                "overheat",
                "Board overheats near the SoC",
                "SoC overheating",
                (
                    "top of phone gets very hot|overheats near the camera|processor overheating|"
                    "gets hot and slows down|thermal throttling|cpu heat|hot near the top|very hot chip area|"
                    "heat at top back|too hot and lags|burning hot upper half|overheat warning and slowdown"
                ),
            ),
            (
                "storage",
                "Storage errors / data corruption",
                "Storage errors",
                (
                    "storage corrupted|files disappear|apps crash with storage errors|memory errors|data loss|"
                    "photos corrupted|internal storage not found|storage read errors|flash memory failing|"
                    "corrupted files|storage full error though empty|emmc errors"
                ),
            ),
        ],
        "conditions": ["cold", "heat", "update", "charging", "load", "drop", "boot", "standby", "humidity"],
        "details": [
            (
                "current",
                "drawing excess current",
                "high current draw|draws too much current|short on power rail|current spike on bench",
            ),
            ("code_m44", "logging error M44", "error M44|M44 in the log|m44 fault code|err M44"),
            ("smell", "with a burning smell", "smells burnt|burnt smell|burning odour|hot electronics smell"),
        ],
    },
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

TECH_PREFIXES = [
    "cust reports",
    "customer says",
    "per customer:",
    "reported:",
    "user complains",
    "as described by cust:",
    "tested on bench:",
    "confirmed:",
    "issue:",
    "fault:",
    "customer states",
    "owner says",
]
TECH_SUFFIXES = [
    "confirmed on bench",
    "reproduced",
    "reproduced 2 of 3 times",
    "no physical damage",
    "no liquid damage",
    "unit clean inside",
    "checked with known good charger",
    "tested w/ diag tool",
    "cust very unhappy",
    "second time this happened",
    "see photos",
    "intermittent",
    "not reproducible every time",
    "fault confirmed",
    "factory reset did not help",
    "happens daily",
]
CONNECTORS = [" ", ", ", " - ", "; ", " especially ", " mainly ", " mostly "]
ABBREVIATIONS = {
    "battery": ["batt", "bat"],
    "doesn't": ["doesnt", "dsnt"],
    "does not": ["doesnt", "does'nt"],
    "won't": ["wont"],
    "can't": ["cant"],
    "cannot": ["cant", "can not"],
    "screen": ["scrn"],
    "customer": ["cust"],
    "temperature": ["temp"],
    "with": ["w/"],
    "without": ["w/o"],
    "update": ["upd"],
    "firmware": ["fw"],
    "percent": ["%", "pct"],
    "minutes": ["min", "mins"],
    "hours": ["hrs", "h"],
    "power": ["pwr"],
    "connection": ["conn"],
    "charger": ["chgr"],
    "charging": ["chrg", "chg"],
    "microphone": ["mic"],
    "speaker": ["spkr"],
    "bluetooth": ["BT"],
    "wifi": ["wi-fi", "WiFi"],
    "display": ["disp"],
    "camera": ["cam"],
    "because": ["bc", "coz"],
    "phone": ["ph", "handset"],
    "very": ["v", "v."],
    "after": ["aftr"],
    "degrees": ["deg", "°"],
    "notifications": ["notifs"],
}
KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht", "h": "gjy",
    "i": "uok", "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh", "o": "ipl", "p": "ol",
    "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij", "v": "cbf", "w": "qes", "x": "zcs",
    "y": "tuh", "z": "xa",
}  # fmt: skip


@dataclass(frozen=True)
class PatternSpec:
    """One generated failure pattern: what it is, in engineers' words, and on which models."""

    code: str
    component: str
    mode: str
    condition: str
    detail: str  # "" when the pattern has no telltale detail
    models: tuple[str, ...]
    title: str
    symptoms: str
    weight: float = 1.0  # how often it occurs relative to the others


@dataclass
class TextStyle:
    """How messy a technician's note is."""

    typo_rate: float = 0.07  # per word of four letters or more
    abbreviation_rate: float = 0.3  # per word that has a common abbreviation
    prefix_rate: float = 0.35
    suffix_rate: float = 0.4
    condition_rate: float = 0.9  # how often the circumstances are written down
    detail_rate: float = 0.55  # how often a pattern's telltale detail is noticed
    upper_rate: float = 0.05
    vocabulary: str = "all"  # "shared", "novel" or "all": which part of each phrase list
    extra: dict = field(default_factory=dict)


def _split(phrases: list[str], vocabulary: str) -> list[str]:
    cut = max(1, (len(phrases) * 3) // 4)
    if vocabulary == "shared":
        return phrases[:cut]
    if vocabulary == "novel":
        return phrases[cut:] or phrases
    return phrases


def _mode(component: str, key: str) -> tuple[str, str, str, list[str]]:
    key, formal, title, phrasings = next(mode for mode in COMPONENTS[component]["modes"] if mode[0] == key)
    return key, formal, title, phrasings.split("|")


def _condition(key: str) -> tuple[str, str, list[str]]:
    formal, title, phrasings = GENERIC_CONDITIONS[key]
    return formal, title, phrasings.split("|")


def _detail(component: str, key: str) -> tuple[str, str, list[str]]:
    key, formal, phrasings = next(detail for detail in COMPONENTS[component]["details"] if detail[0] == key)
    return key, formal, phrasings.split("|")


def pattern_specs(
    *, count: int, models: list[str], rng: random.Random, components: list[str] | None = None
) -> list[PatternSpec]:
    """``count`` distinct patterns spread over the components, each on one to three of ``models``.

    The same mode and condition may be two patterns on different models (a display flicker in the
    cold on the phones and another on the tablets), told apart by model and often by a detail.
    Weights follow a long tail: a few patterns are common, most are rare.
    """
    components = components or list(COMPONENTS)
    combos: list[tuple[str, str, str]] = []
    for component in components:
        spec = COMPONENTS[component]
        for mode in spec["modes"]:
            for condition in spec["conditions"]:
                combos.append((component, mode[0], condition))
    rng.shuffle(combos)
    specs: list[PatternSpec] = []
    used: dict[tuple[str, str, str], set[str]] = {}
    index = 0
    while len(specs) < count:
        component, mode_key, condition_key = combos[index % len(combos)]
        index += 1
        taken = used.setdefault((component, mode_key, condition_key), set())
        free = [model for model in models if model not in taken]
        if not free:
            if index > len(combos) * (len(models) + 1):
                break  # the vocabulary cannot hold that many distinct patterns
            continue
        chosen = tuple(sorted(rng.sample(free, k=min(len(free), rng.choice([1, 1, 2, 2, 3])))))
        taken.update(chosen)
        details = COMPONENTS[component]["details"]
        detail_key = rng.choice(details)[0] if rng.random() < 0.6 else ""
        _, mode_formal, mode_title, _ = _mode(component, mode_key)
        condition_formal, condition_title, _ = _condition(condition_key)
        detail_formal = _detail(component, detail_key)[1] if detail_key else ""
        number = len(specs) + 1
        symptoms = f"{mode_formal} {condition_formal}" + (f", {detail_formal}" if detail_formal else "") + "."
        specs.append(
            PatternSpec(
                code=f"FP-{number:04d}",
                component=component,
                mode=mode_key,
                condition=condition_key,
                detail=detail_key,
                models=chosen,
                title=f"{mode_title} {condition_title}",
                symptoms=symptoms[0].upper() + symptoms[1:],
                weight=1.0 / (1 + (number - 1) % 97) ** 0.8,
            )
        )
    weights = [spec.weight for spec in specs]
    rng.shuffle(weights)  # the common ones are spread over the components
    return [PatternSpec(**{**spec.__dict__, "weight": weight}) for spec, weight in zip(specs, weights, strict=True)]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1 :]  # dropped letter
    if kind < 0.55:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped letters
    if kind < 0.75:
        return word[:i] + word[i] + word[i:]  # doubled letter
    near = KEYBOARD_NEIGHBOURS.get(word[i].lower(), "")
    return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1 :]  # neighbouring key


def _abbreviate(text: str, rng: random.Random, rate: float) -> str:
    for long, shorts in ABBREVIATIONS.items():
        if long in text and rng.random() < rate:
            text = text.replace(long, rng.choice(shorts), 1)
    return text


def technician_text(spec: PatternSpec, rng: random.Random, style: TextStyle | None = None) -> str:
    """A technician's note about a unit failing with ``spec``: the same facts, in messy everyday words."""
    style = style or TextStyle()
    mode_phrases = _split(_mode(spec.component, spec.mode)[3], style.vocabulary)
    condition_phrases = _split(_condition(spec.condition)[2], style.vocabulary)
    parts = [rng.choice(mode_phrases)]
    if rng.random() < style.condition_rate:
        condition = rng.choice(condition_phrases)
        if rng.random() < 0.3:
            parts.insert(0, condition)
        else:
            parts.append(condition)
    if spec.detail and rng.random() < style.detail_rate:
        parts.append(rng.choice(_split(_detail(spec.component, spec.detail)[2], style.vocabulary)))
    text = parts[0]
    for part in parts[1:]:
        text += rng.choice(CONNECTORS) + part
    if rng.random() < style.prefix_rate:
        text = f"{rng.choice(TECH_PREFIXES)} {text}"
    if rng.random() < style.suffix_rate:
        text = f"{text}{rng.choice(['. ', ', ', ' - '])}{rng.choice(TECH_SUFFIXES)}"
    text = _abbreviate(text, rng, style.abbreviation_rate)
    words = [(_typo(word, rng) if rng.random() < style.typo_rate else word) for word in text.split(" ")]
    text = " ".join(words)
    if rng.random() < style.upper_rate:
        text = text.upper()
    elif rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    return text


def customer_text(spec: PatternSpec, rng: random.Random) -> str:
    """What a customer types on the return form: vaguer, rarely the circumstances."""
    mode = rng.choice(_mode(spec.component, spec.mode)[3])
    opener = rng.choice(["My phone", "The device", "It", "My unit", "Since last week it"])
    text = f"{opener}: {mode}"
    if rng.random() < 0.5:
        text += " " + rng.choice(_condition(spec.condition)[2])
    return text + rng.choice([".", "!", ". Please help.", ". Very disappointed."])


def weighted_choice(specs: list[PatternSpec], rng: random.Random) -> PatternSpec:
    return rng.choices(specs, weights=[spec.weight for spec in specs], k=1)[0]
