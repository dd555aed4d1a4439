"""Power and display components: their failure modes, conditions and telltale details."""

from __future__ import annotations

# component code → name, failure modes, conditions it shows under, telltale details. A mode is (key, formal
# wording, title wording, technicians' phrasings), a detail (key, formal wording, phrasings); phrasings split on |.
POWER_AND_DISPLAY: dict[str, dict] = {
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
}
